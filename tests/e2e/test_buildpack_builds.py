"""Pushes without a Dockerfile: the builtin buildpacks on the real engine, with the base images
`make base-images` built from Debian's packages, and the builder setting."""
import json
import time

import docker
import pytest

from tests.support import BASE_IMAGE, ROOT, PackageIndex, SourceTree, python_greeting_app, require, static_site

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def base_images(platform) -> dict[str, str]:
    built = ROOT / "var" / "base-images.json"
    require("The buildpacks' base images", built.exists(), "run make base-images (make test does)")
    images = json.loads(built.read_text())
    client = docker.from_env()
    for image in images.values():
        client.images.get(image)  # the file names images this engine has
    return images


@pytest.fixture
def source(tmp_path) -> SourceTree:
    return SourceTree(tmp_path / "src")


@pytest.fixture
def package_index(platform):
    with PackageIndex(platform.instance) as index:
        yield index


def _push(platform, source, app, files, message="change"):
    source.write(files).commit(message)
    started = time.monotonic()
    push = source.push(platform.git_url(app))
    return push, time.monotonic() - started


def _layer_made_by(image: str, command_part: str) -> str:
    """The id of the image layer whose instruction contains `command_part`."""
    history = docker.from_env().api.history(image)
    return next(entry["Id"] for entry in history if command_part in entry["CreatedBy"])


def _build_image(platform, app) -> str:
    _, builds = platform.api("GET", f"/api/apps/{app}/builds")
    return builds[0]["image"]


def test_python_app_goes_live_and_a_code_only_push_reuses_the_dependency_layer(
    platform, source, base_images, package_index, capsys
):
    index = package_index
    app = platform.new_app()
    # The private index reaches the build as build arguments.
    status, _ = platform.api("PATCH", f"/api/apps/{app}/config-vars", index.build_config())
    assert status == 200
    status, body = platform.api("PATCH", f"/api/apps/{app}", {"build_vars": ["PIP_INDEX_URL", "PIP_TRUSTED_HOST"]})
    assert status == 200 and body["build_vars"] == ["PIP_INDEX_URL", "PIP_TRUSTED_HOST"], body
    files = python_greeting_app("v1")

    first, first_seconds = _push(platform, source, app, files, "v1")

    assert first.returncode == 0, first.output
    assert "-----> Python app detected" in first.output
    assert f"-----> Using the base image {base_images['python']}" in first.output
    assert "-----> Installing dependencies with pip (requirements.txt)" in first.output
    assert "Successfully installed greeting-1.0" in first.output
    assert "Procfile declares types -> web" in first.output
    assert "Step 1/" not in first.output  # the engine's bookkeeping is not shown
    assert platform.get(app) == (200, f"{index.WORDS} (v1)\n")
    first_image = _build_image(platform, app)

    index.stop()  # a second install would now fail: the push must not need one
    second, second_seconds = _push(platform, source, app, {"app.py": python_greeting_app("v2")["app.py"]}, "only code")

    assert second.returncode == 0, second.output
    assert "Reusing the dependencies installed before: requirements.txt unchanged" in second.output
    assert "Successfully installed" not in second.output
    assert platform.get(app) == (200, f"{index.WORDS} (v2)\n")
    second_image = _build_image(platform, app)
    assert _layer_made_by(second_image, "pip install") == _layer_made_by(first_image, "pip install")
    with capsys.disabled():
        print(f"\n[buildpack] Python push to live: first {first_seconds:.1f} s (installs), "
              f"code-only {second_seconds:.1f} s (dependency layer reused)")


NODE_SERVER = """\
const http = require("http");
http.createServer((request, response) => response.end(`node says hi (${process.env.NODE_ENV})\\n`))
  .listen(process.env.PORT);
"""


def test_node_app_without_procfile_goes_live_with_npm_start(platform, source, base_images):
    app = platform.new_app()
    package = {"name": "shop", "version": "1.0.0", "scripts": {"start": "node server.js"}}

    push, _ = _push(platform, source, app, {"package.json": json.dumps(package), "server.js": NODE_SERVER})

    assert push.returncode == 0, push.output
    assert "-----> Node.js app detected" in push.output
    assert "-----> Installing dependencies with npm install (package.json)" in push.output
    assert "Default types for buildpack -> web" in push.output
    assert platform.get(app) == (200, "node says hi (production)\n")


def test_static_site_goes_live(platform, source, base_images):
    app = platform.new_app()

    push, _ = _push(platform, source, app, {"index.html": "<h1>static</h1>\n"})

    assert push.returncode == 0, push.output
    assert "-----> Static HTML app detected" in push.output
    assert platform.get(app) == (200, "<h1>static</h1>\n")
    _, releases = platform.api("GET", f"/api/apps/{app}/releases")
    assert releases[0]["process_types"] == {"web": "httpd -f -p $PORT -h /app"}


def test_python_app_without_procfile_is_refused_saying_what_to_add(platform, source, base_images):
    app = platform.new_app()

    push, _ = _push(platform, source, app, {"requirements.txt": "", "app.py": ""})

    assert push.returncode != 0
    assert "nothing says how to start this Python app: add a Procfile" in push.output


def test_the_builder_setting_forces_a_builder(platform, source, base_images):
    app = platform.new_app()
    # A Dockerfile that would fail, beside a static site: forced to the buildpacks, it is not used.
    files = {"Dockerfile": f"FROM {BASE_IMAGE}\nRUN false\n", "index.html": "from the buildpack\n"}
    status, body = platform.api("PATCH", f"/api/apps/{app}", {"builder": "buildpack"})
    assert status == 200 and body["builder"] == "buildpack"

    push, _ = _push(platform, source, app, files)

    assert push.returncode == 0, push.output
    assert platform.get(app) == (200, "from the buildpack\n")

    status, body = platform.api("PATCH", f"/api/apps/{app}", {"builder": "dockerfile"})
    assert status == 200
    push, _ = _push(platform, source, app, {"Dockerfile": static_site("x")["Dockerfile"], "index.html": "dockerfile\n"})
    assert push.returncode == 0, push.output
    assert "-----> Building with the Dockerfile" in push.output
    assert platform.get(app) == (200, "dockerfile\n")

    (source.path / "Dockerfile").unlink()
    push, _ = _push(platform, source, app, {"index.html": "no dockerfile\n"})
    assert push.returncode != 0
    assert "this app's builder is dockerfile, but the pushed commit has no Dockerfile" in push.output
    assert platform.get(app) == (200, "dockerfile\n")


def test_pack_builder_without_the_pack_cli_fails_saying_so(platform, source):
    app = platform.new_app()
    status, _ = platform.api("PATCH", f"/api/apps/{app}", {"builder": "pack"})
    assert status == 200

    push, _ = _push(platform, source, app, {"index.html": "hi\n"})

    assert push.returncode != 0
    assert "the pack builder needs the pack CLI ('pack' is not on the build host's PATH)" in push.output


def test_a_dockerfile_build_gets_the_build_time_config_vars_as_build_arguments(platform, source):
    app = platform.new_app()
    platform.api("PATCH", f"/api/apps/{app}/config-vars", {"BAKED": "baked at build time", "RUNTIME_ONLY": "x"})
    status, _ = platform.api("PATCH", f"/api/apps/{app}", {"build_vars": ["BAKED"]})
    assert status == 200
    dockerfile = (
        f"FROM {BASE_IMAGE}\nARG BAKED\nARG RUNTIME_ONLY\n"
        'RUN echo "$BAKED/${RUNTIME_ONLY:-not at build time}" > /www/index.html\n'
        "CMD exec httpd -f -p $PORT -h /www\n"
    )

    push, _ = _push(platform, source, app, {"Dockerfile": dockerfile})

    assert push.returncode == 0, push.output
    assert platform.get(app) == (200, "baked at build time/not at build time\n")
