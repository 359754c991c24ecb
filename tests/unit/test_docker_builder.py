from builds.docker_builder import FROM_STEP, _explain


def test_a_pull_failure_of_the_from_image_names_the_image_and_what_to_do():
    message = _explain('Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host', "acme/base:1")
    assert "base image 'acme/base:1' is not on this host and could not be pulled" in message
    assert "docker load" in message


def test_other_build_errors_are_passed_through():
    error = "The command '/bin/sh -c false' returned a non-zero code: 1"
    assert _explain(error, "acme/base:1") == error


def test_from_step_lines_name_the_base_image():
    assert FROM_STEP.match("Step 1/3 : FROM --platform=linux/amd64 acme/base:1").group(1) == "acme/base:1"
    assert FROM_STEP.match("Step 2/5 : FROM builder AS final").group(1) == "builder"
