"""Public sample apps nobody here wrote, fetched from the package registries by the host's own
clients once per machine (samples/ in tests/mirrors.py's CACHE), as a new user would take them, plus only what
Heroku's own guides tell a user to add (a Procfile, requirements.txt, a lockfile, settings).

- flaskr: the Flask tutorial's blog, examples/tutorial in Flask's sdist on PyPI (BSD-3-Clause,
  its LICENSE.txt comes along).
- express: what express-generator (npm, MIT) makes, with its pug views and public/ files.
- html5-boilerplate: the site in the html5-boilerplate package's dist/ (npm, MIT, LICENSE.txt).
- django: `django-admin startproject` of Django 6 (PyPI, BSD-3-Clause), run in a base image's
  Python 3.13 with no network, set up as Heroku's Django guide says (whitenoise, STATIC_ROOT,
  gunicorn).
"""
import contextlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import ROOT
from tests.mirrors import CACHE, NPM_REGISTRY, NpmMirror, PythonMirror, cached, fetched, python_wheels, run_host

FLASK = "3.1.3"
EXPRESS_GENERATOR = "4.16.1"
HTML5_BOILERPLATE = "9.0.1"
DJANGO = "6.0.*"
DJANGO_PYTHON = "3.13"


@dataclass
class Sample:
    """A sample app's files, what its dependencies come from, and a page it must serve."""

    name: str
    root: Path  # the app's files, as pushed
    page: str  # the path of a real page
    page_says: str  # text the page shows
    static_link: str  # a regex whose group 1 is a static file's URL on that page
    python: str | None = None  # the Python version its wheels are for (None: no Python)
    requirements: list[str] = field(default_factory=list)
    licence: str = ""

    def files(self) -> dict[str, bytes]:
        return {str(path.relative_to(self.root)): path.read_bytes() for path in sorted(self.root.rglob("*"))
                if path.is_file()}

    def file(self, path: str) -> bytes:
        return (self.root / path).read_bytes()


def mirror_for(sample: Sample, instance: str):
    """The local index the sample's build installs from (a no-op context when it needs none)."""
    if sample.python:
        return PythonMirror(instance, sample.requirements, sample.python)
    if (sample.root / "package-lock.json").exists():
        return NpmMirror(instance, (sample.root / "package-lock.json").read_text())
    return contextlib.nullcontext()


def _samples_dir(name: str) -> Path:
    return CACHE / "samples" / name


def _pip_download_sdist(requirement: str, into: Path) -> Path:
    run_host(f"the sdist of {requirement}", [sys.executable, "-m", "pip", "download", "--quiet",
                                             "--disable-pip-version-check", "--no-deps", "--no-binary", ":all:",
                                             "--dest", str(into), requirement])
    return next(into.glob("*.tar.gz"))


def _npm_pack(spec: str, into: Path) -> Path:
    run_host(f"the npm package {spec}", ["npm", "pack", "--silent", f"--registry={NPM_REGISTRY}",
                                         "--pack-destination", str(into), spec])
    return next(into.glob("*.tgz"))


def _extract(archive: Path, member_prefix: str, into: Path) -> None:
    """The members under `member_prefix` of a tar.gz, written under `into` without the prefix."""
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith(member_prefix):
                target = into / member.name.removeprefix(member_prefix)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())


FLASKR_PROCFILE = (
    # flaskr keeps its SQLite file in instance/ and its index page reads it, so the tables must
    # exist where web runs (a release phase would make them in a one-off container's own file).
    "web: flask --app flaskr init-db && exec gunicorn 'flaskr:create_app()'\n"
)


def flaskr() -> Sample:
    def make(scratch: Path) -> None:
        sdist = _pip_download_sdist(f"flask=={FLASK}", scratch)
        _extract(sdist, f"flask-{FLASK}/examples/tutorial/", scratch / "app")
        sdist.unlink()
        shutil.rmtree(scratch / "app" / "tests")  # the tutorial's own tests: not part of the app
        # What a Heroku user adds: the dependencies with a web server, and how to start it.
        (scratch / "app" / "requirements.txt").write_text(f"flask=={FLASK}\ngunicorn\n")
        (scratch / "app" / "Procfile").write_text(FLASKR_PROCFILE)

    root = cached(_samples_dir(f"flaskr-{FLASK}"), make) / "app"
    return Sample("flaskr", root, "/", "Posts", r'href="(/static/style\.css)"', python="3.14",
                  requirements=(root / "requirements.txt").read_text().split(), licence="BSD-3-Clause (LICENSE.txt)")


def express() -> Sample:
    def make(scratch: Path) -> None:
        app = scratch / "app"
        run_host("express-generator", ["npx", "--yes", f"--registry={NPM_REGISTRY}",
                                       f"express-generator@{EXPRESS_GENERATOR}", "--view=pug", "--git", str(app)])
        # express-generator writes no lockfile: the user's npm does, with the registry URLs in it.
        run_host("the Express app's dependency tree", [
            "npm", "install", "--package-lock-only", "--ignore-scripts", f"--registry={NPM_REGISTRY}",
            "--omit-lockfile-registry-resolved=false", "--no-audit", "--no-fund",
        ], cwd=app)

    root = cached(_samples_dir(f"express-generator-{EXPRESS_GENERATOR}"), make) / "app"
    return Sample("express", root, "/", "Welcome to Express", r'href="(/stylesheets/style\.css)"',
                  licence="MIT (express-generator)")


# html5-boilerplate's dist/ is also a webpack project; a static site is the pages, not the
# tooling that would make the Node buildpack take it.
H5BP_TOOLING = ("package.json", "webpack.common.js", "webpack.config.dev.js", "webpack.config.prod.js")


def html5_boilerplate() -> Sample:
    def make(scratch: Path) -> None:
        tarball = _npm_pack(f"html5-boilerplate@{HTML5_BOILERPLATE}", scratch)
        _extract(tarball, "package/dist/", scratch / "site")
        tarball.unlink()
        for name in H5BP_TOOLING:
            (scratch / "site" / name).unlink()

    root = cached(_samples_dir(f"html5-boilerplate-{HTML5_BOILERPLATE}"), make) / "site"
    return Sample("html5-boilerplate", root, "/", "Hello world! This is HTML5 Boilerplate.",
                  r'<script src="(js/app\.js)"', licence="MIT (LICENSE.txt)")


DJANGO_REQUIREMENTS = f"Django=={DJANGO}\ngunicorn\nwhitenoise\n"
HEROKU_SETTINGS = """
# As Heroku's guide to Django says: static files collected at build time and served by whitenoise.
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DEBUG = False
ALLOWED_HOSTS = ["*"]
"""


def django() -> Sample:
    requirements = DJANGO_REQUIREMENTS.split()

    def make(scratch: Path) -> None:
        wheels = python_wheels(requirements, DJANGO_PYTHON)[0].parent
        app = scratch / "app"
        app.mkdir()
        image = json.loads((ROOT / "var" / "base-images.json").read_text())["python"][DJANGO_PYTHON]  # make base-images
        # Django's own startproject, by the Python the app runs on (the host's is too old for Django 6).
        script = ("python3 -m venv /tmp/venv && /tmp/venv/bin/pip install -q --no-index --find-links /wheels django"
                  " && /tmp/venv/bin/django-admin startproject mysite /app")
        result = subprocess.run(["docker", "run", "--rm", "--network", "none",
                                 "-v", f"{wheels}:/wheels:ro", "-v", f"{app}:/app", image, "sh", "-c", script],
                                check=False, capture_output=True, text=True, timeout=300)
        fetched("django-admin startproject", result.returncode == 0, result.stderr)
        settings = app / "mysite" / "settings.py"
        text, added = re.subn(r"^( +)(['\"])django\.middleware\.security\.SecurityMiddleware\2,\n",
                              r"\g<0>\1\2whitenoise.middleware.WhiteNoiseMiddleware\2,\n", settings.read_text(),
                              flags=re.MULTILINE)
        fetched("a settings.py with SecurityMiddleware to put whitenoise after", added == 1, text)
        settings.write_text(text + HEROKU_SETTINGS)
        (app / "requirements.txt").write_text(DJANGO_REQUIREMENTS)
        (app / "Procfile").write_text("web: gunicorn mysite.wsgi\n")
        (app / ".python-version").write_text(f"{DJANGO_PYTHON}\n")

    root = cached(_samples_dir(f"django-{DJANGO.rstrip('.*')}-startproject"), make) / "app"
    return Sample("django", root, "/admin/login/", "Django administration",
                  r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', python=DJANGO_PYTHON,
                  requirements=requirements, licence="BSD-3-Clause (Django)")


SAMPLES = {"flaskr": flaskr, "express": express, "html5-boilerplate": html5_boilerplate, "django": django}
