"""builds.dockerfile: the images and URLs a Dockerfile makes the engine fetch, read as the classic
builder reads them, and refused where a variable's value cannot be known."""
import pytest

from builds.dockerfile import DockerfileRefused, instructions, read


def images(text: str, build_args: dict[str, str] | None = None) -> list[str]:
    return [stage.image for stage in read(text, build_args or {}).stages]


def test_continuation_lines_comments_and_the_escape_directive_are_read_as_the_builder_does():
    text = "# escape=`\nFROM a `\n  AS build\n# a comment\nRUN echo \\\nCOPY x y\n"
    assert [(i.line, i.keyword, i.arguments) for i in instructions(text)] == [
        (2, "FROM", "a   AS build"), (5, "RUN", "echo \\"), (6, "COPY", "x y"),
    ]
    assert [i.arguments for i in instructions("from a\nrun one \\\n# inside\n  two\n")] == ["a", "one   two"]


def test_stage_names_and_platform_flags():
    reading = read("FROM --platform=linux/amd64 base:1 AS Build\nFROM build\nCOPY --from=build /a /b\n", {})
    assert [(s.image, s.name) for s in reading.stages] == [("base:1", "build"), ("build", None)]
    assert reading.copied_images == []


def test_copy_from_an_image_is_a_reference_but_from_a_stage_or_its_index_is_not():
    reading = read("FROM a AS one\nCOPY --from=0 /x /x\nCOPY --from=ONE /x /x\nCOPY --from=other/img:2 /x /x\n", {})
    assert reading.copied_images == [(4, "other/img:2")]


def test_global_args_are_substituted_with_build_arguments_first_then_defaults():
    text = "ARG BASE=paas-base/python:3\nARG TAG\nFROM $BASE\nFROM repo:${TAG:-latest}\n"
    assert images(text) == ["paas-base/python:3", "repo:latest"]
    assert images(text, {"BASE": "mine:1", "TAG": "2"}) == ["mine:1", "repo:2"]
    assert images("ARG BASE=\"quoted:1\"\nFROM ${BASE}\n") == ["quoted:1"]


@pytest.mark.parametrize("line", [
    "FROM ${BASE:+other}", "FROM $(echo x)", "FROM ${BASE:-$OTHER}", "FROM \\$BASE",
])
def test_a_variable_form_the_platform_cannot_evaluate_is_refused(line):
    with pytest.raises(DockerfileRefused, match="cannot check"):
        read(f"ARG BASE=a\n{line}\n", {})


def test_more_than_one_arg_on_a_line_before_from_is_refused():
    with pytest.raises(DockerfileRefused, match="one ARG per line"):
        read("ARG A=x B=y\nFROM $A\n", {})


def test_add_urls_in_both_forms_and_in_onbuild_triggers_are_found():
    reading = read(
        'FROM a\nADD http://127.0.0.1:8000/x /x\nADD ["https://h/y", "/y"]\nADD local.tar /z\nONBUILD ADD ftp://h/z /z\n', {}
    )
    assert reading.urls == [(2, "http://127.0.0.1:8000/x"), (3, "https://h/y"), (5, "ftp://h/z")]


def test_add_with_a_variable_source_is_refused_but_a_variable_destination_is_fine():
    assert read("FROM a\nENV D=/app\nADD file.tar $D\n", {}).urls == []
    with pytest.raises(DockerfileRefused, match="ADD cannot take a variable as its source"):
        read("FROM a\nENV U=http://127.0.0.1/\nADD ${U} /x\n", {})


def test_onbuild_from_is_refused_and_a_copy_from_image_inside_onbuild_is_a_reference():
    with pytest.raises(DockerfileRefused, match="ONBUILD FROM"):
        read("FROM a\nONBUILD FROM b\n", {})
    assert read("FROM a AS s\nONBUILD COPY --from=s /x /x\n", {}).copied_images == [(2, "s")]
