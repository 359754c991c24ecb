"""Pushes without a Dockerfile: the builtin buildpacks on the real engine, with the base images
`make base-images` built from Debian's packages (each language in several versions), the
language version an app asks for, the framework steps (Django's collectstatic, package.json's
build script), and the builder setting."""
import json
import time

import docker
import pytest

from tests.mirrors import PythonMirror
from tests.support import BASE_IMAGE, ROOT, PackageIndex, SourceTree, python_greeting_app, require, static_site

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def base_images(platform) -> dict:
    """{"python": {"3.13": image, ...}, "node": {...}, "static": image}, as make base-images lists them."""
    built = ROOT / "var" / "base-images.json"
    require("The buildpacks' base images", built.exists(), "run make base-images (make test does)")
    images = json.loads(built.read_text())
    require("Base images listed by version", isinstance(images.get("python"), dict), "run make base-images again")
    client = docker.from_env()
    for image in [*images["python"].values(), *images["node"].values(), images["static"]]:
        client.images.get(image)  # the file names images this engine has
    return images


def newest(versions: dict[str, str]) -> str:
    return max(versions, key=lambda version: tuple(int(part) for part in version.split(".")))


def needs_versions(base_images: dict, language: str, *wanted: str) -> None:
    missing = [version for version in wanted if version not in base_images[language]]
    require(f"{language} {', '.join(missing)} base images", not missing, "run make base-images (it builds them)")


@pytest.fixture
def source(tmp_path) -> SourceTree:
    return SourceTree(tmp_path / "src")


@pytest.fixture
def package_index(platform):
    with PackageIndex(platform.instance) as index:
        yield index


def _push(platform, source, app, files, message="change"):
    for name in files:
        (source.path / name).parent.mkdir(parents=True, exist_ok=True)
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
    newest_python = newest(base_images["python"])
    assert f"-----> Using Python {newest_python} (the newest available; no version was asked for)" in first.output
    assert f"-----> Using the base image {base_images['python'][newest_python]}" in first.output
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


VERSION_APP = """\
import http.server, os, platform


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = platform.python_version().encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), Page).serve_forever()
"""


def test_python_runs_the_version_python_version_or_runtime_txt_asks_for(platform, source, base_images):
    needs_versions(base_images, "python", "3.11", "3.13")
    app = platform.new_app()
    files = {"requirements.txt": "", "Procfile": "web: python app.py\n", "app.py": VERSION_APP}

    push, _ = _push(platform, source, app, {**files, ".python-version": "3.13\n"})

    assert push.returncode == 0, push.output
    assert "-----> Using Python 3.13 (from .python-version)" in push.output
    assert f"-----> Using the base image {base_images['python']['3.13']}" in push.output
    status, served = platform.get(app)
    assert status == 200 and served.startswith("3.13."), served

    (source.path / ".python-version").unlink()
    push, _ = _push(platform, source, app, {"runtime.txt": "python-3.11\n"})

    assert push.returncode == 0, push.output
    assert "-----> Using Python 3.11 (from runtime.txt)" in push.output
    assert "runtime.txt is deprecated" in push.output
    status, served = platform.get(app)
    assert status == 200 and served.startswith("3.11."), served


def test_a_python_version_the_platform_lacks_fails_at_once_listing_those_it_has(platform, source, base_images):
    app = platform.new_app()
    available = ", ".join(sorted(base_images["python"], key=lambda v: tuple(map(int, v.split(".")))))

    push, _ = _push(platform, source, app, {"requirements.txt": "", "Procfile": "web: python app.py\n",
                                            "app.py": VERSION_APP, ".python-version": "3.9\n"})

    assert push.returncode != 0
    assert (f"Python 3.9 is not available on this platform: available {available} "
            "(.python-version asked for 3.9)") in push.output
    assert "Creating the virtualenv" not in push.output and "Using the base image" not in push.output  # no step ran
    _, builds = platform.api("GET", f"/api/apps/{app}/builds")
    assert builds[0]["status"] == "failed"

    # An exact patch release must be the one the image has (Debian's images carry one each).
    needs_versions(base_images, "python", "3.13")
    has = docker.from_env().images.get(base_images["python"]["3.13"]).labels["org.paas.base.version"]
    push, _ = _push(platform, source, app, {".python-version": "3.13.0\n" if has != "3.13.0" else "3.13.1\n"})
    assert push.returncode != 0
    assert f"this platform's Python 3.13 is {has}" in push.output


def test_pip_that_reaches_no_index_ends_with_a_hint_about_build_vars(platform, source, base_images):
    app = platform.new_app()

    push, _ = _push(platform, source, app, {"requirements.txt": "greeting==1.0\n", "Procfile": "web: python app.py\n",
                                            "app.py": VERSION_APP})

    assert push.returncode != 0
    assert "pip could not reach a package index" in push.output
    assert "Set PIP_INDEX_URL" in push.output and "build_vars" in push.output


DJANGO_SETTINGS = """\
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = {secret_key}
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.staticfiles", "shop"]
ROOT_URLCONF = "urls"
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
"""
# Files from STATIC_ROOT only (what collectstatic wrote), not from the apps' static folders.
DJANGO_URLS = """\
from django.conf import settings
from django.http import HttpResponse
from django.urls import path, re_path
from django.views.static import serve

urlpatterns = [
    path("", lambda request: HttpResponse("django says hi")),
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": settings.STATIC_ROOT}),
]
"""
DJANGO_MANAGE = """\
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""
DJANGO_SERVE = """\
import os
from wsgiref.simple_server import make_server
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
from django.core.wsgi import get_wsgi_application
make_server("", int(os.environ["PORT"]), get_wsgi_application()).serve_forever()
"""


def django_app(secret_key: str = '"not secret"') -> dict[str, str]:
    return {
        "requirements.txt": "django==5.2.*\n", "Procfile": "web: python serve.py\n", "manage.py": DJANGO_MANAGE,
        "serve.py": DJANGO_SERVE, "settings.py": DJANGO_SETTINGS.format(secret_key=secret_key), "urls.py": DJANGO_URLS,
        "shop/__init__.py": "", "shop/static/shop/site.css": "body { color: teal }\n",
    }


@pytest.fixture
def django_index(platform, base_images):
    """Django's wheels for the Python a push with no .python-version gets (the newest)."""
    with PythonMirror(platform.instance, ["django==5.2.*"], newest(base_images["python"])) as index:
        yield index


def test_django_static_files_are_collected_unless_disable_collectstatic(platform, source, base_images, django_index):
    app = platform.new_app()
    platform.api("PATCH", f"/api/apps/{app}/config-vars", {**django_index.build_config(), "SECRET_KEY": "s3cret"})
    build_vars = ["PIP_INDEX_URL", "PIP_TRUSTED_HOST"]
    platform.api("PATCH", f"/api/apps/{app}", {"build_vars": build_vars})

    push, _ = _push(platform, source, app, django_app())

    assert push.returncode == 0, push.output
    assert "-----> Django: collecting static files" in push.output
    assert "1 static file copied to '/app/staticfiles'" in push.output
    assert platform.get(app) == (200, "django says hi")
    assert platform.get(app, "/static/shop/site.css") == (200, "body { color: teal }\n")

    # Settings that need a runtime config var: the build does not have it, and says what to do.
    push, _ = _push(platform, source, app, {"settings.py": django_app('os.environ["SECRET_KEY"]')["settings.py"]})

    assert push.returncode != 0
    assert "KeyError: 'SECRET_KEY'" in push.output
    assert "collectstatic --noinput` failed" in push.output and "DISABLE_COLLECTSTATIC=1" in push.output
    assert platform.get(app, "/static/shop/site.css") == (200, "body { color: teal }\n")  # still the first release

    platform.api("PATCH", f"/api/apps/{app}/config-vars", {"DISABLE_COLLECTSTATIC": "1"})
    platform.api("PATCH", f"/api/apps/{app}", {"build_vars": [*build_vars, "DISABLE_COLLECTSTATIC"]})
    push, _ = _push(platform, source, app, {"urls.py": DJANGO_URLS + "# again\n"})

    assert push.returncode == 0, push.output
    assert "Skipping Django collectstatic: the build-time config var DISABLE_COLLECTSTATIC is set" in push.output
    assert platform.get(app) == (200, "django says hi")  # SECRET_KEY is there at run time
    assert platform.get(app, "/static/shop/site.css")[0] == 404  # nothing was collected


NODE_BUILD = """\
const fs = require("fs");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/page.txt", `built by ${process.env.npm_lifecycle_event} on node ${process.versions.node.split(".")[0]}\\n`);
"""
NODE_DIST_SERVER = """\
const fs = require("fs"), http = require("http");
http.createServer((request, response) => response.end(fs.readFileSync("dist/page.txt")))
  .listen(process.env.PORT);
"""


def test_node_runs_its_build_script_on_the_version_engines_node_asks_for(platform, source, base_images):
    needs_versions(base_images, "node", "20")
    app = platform.new_app()
    package = {"name": "site", "version": "1.0.0", "engines": {"node": "20.x"},
               "scripts": {"start": "node server.js", "build": "node build.js"}}

    push, _ = _push(platform, source, app, {"package.json": json.dumps(package), "build.js": NODE_BUILD,
                                            "server.js": NODE_DIST_SERVER})

    assert push.returncode == 0, push.output
    assert "-----> Using Node.js 20 (from package.json engines.node)" in push.output
    assert "-----> Running the build script" in push.output and "-----> Pruning devDependencies" in push.output
    assert platform.get(app) == (200, "built by build on node 20\n")
