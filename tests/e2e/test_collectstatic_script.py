"""The Python buildpack's collectstatic step (builds/django_static.py) in a real base image with
real Django: when it runs, and each reason it gives for not running. One container, no network,
Django installed from the wheels tests/mirrors.py caches; the pushes themselves are in
test_buildpack_builds.py."""
import json
import subprocess

import pytest

from builds import django_static
from tests.support import ROOT, require
from tests.mirrors import python_wheels

pytestmark = pytest.mark.e2e

SETTINGS = """\
SECRET_KEY = "x"
INSTALLED_APPS = {apps}
STATIC_URL = "static/"
{static_root}
"""
MANAGE = """\
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""
SCENARIOS = {
    "collects": {"apps": '["django.contrib.staticfiles", "shop"]', "static_root": 'STATIC_ROOT = "/tmp/collected"'},
    "no-static-root": {"apps": '["django.contrib.staticfiles", "shop"]', "static_root": ""},
    "no-staticfiles-app": {"apps": '["shop"]', "static_root": 'STATIC_ROOT = "/tmp/collected"'},
}


def _write(directory, name: str, scenario: dict) -> None:
    app = directory / name
    (app / "shop" / "static").mkdir(parents=True)
    (app / "shop" / "__init__.py").write_text("")
    (app / "shop" / "static" / "site.css").write_text("body {}\n")
    (app / "manage.py").write_text(MANAGE)
    (app / "settings.py").write_text(SETTINGS.format(**scenario))
    (app / django_static.SCRIPT_NAME).write_text(django_static.SCRIPT)


def test_collectstatic_runs_only_where_heroku_would_and_says_why_not(tmp_path):
    listed = ROOT / "var" / "base-images.json"
    require("The buildpacks' base images", listed.exists(), "run make base-images (make test does)")
    python = json.loads(listed.read_text()).get("python")
    require("Base images listed by version", isinstance(python, dict) and python, "run make base-images again")
    version = max(python, key=lambda version: tuple(map(int, version.split("."))))
    image, wheels = python[version], python_wheels(["django==5.2.*"], version)
    for name, scenario in SCENARIOS.items():
        _write(tmp_path, name, scenario)
    # The same script before and after Django is installed, as the buildpack runs it (cwd = the app).
    steps = [f"cd /apps/{name} && echo '== {name}' && sh {django_static.SCRIPT_NAME}; echo \"exit $?\"" for name in SCENARIOS]
    script = "\n".join([
        "python3 -m venv /opt/paas/venv", "export PATH=/opt/paas/venv/bin:$PATH",
        f"cd /apps/collects && echo '== no-django' && sh {django_static.SCRIPT_NAME}; echo \"exit $?\"",
        "pip install --quiet --no-index --find-links /wheels django",
        *steps,
        f"cd /apps/collects && echo '== disabled' && DISABLE_COLLECTSTATIC=1 sh {django_static.SCRIPT_NAME}; echo \"exit $?\"",
        "ls /tmp/collected",
    ])

    run = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "-v", f"{tmp_path}:/apps", "-v", f"{wheels[0].parent}:/wheels:ro",
         image, "sh", "-c", script],
        capture_output=True, text=True, timeout=300, check=False,
    )

    assert run.returncode == 0, run.stderr
    said = dict(part.split("\n", 1) for part in run.stdout.split("== ")[1:])
    assert said["no-django"].startswith("Skipping Django collectstatic: Django is not installed\nexit 0")
    assert "$ python manage.py collectstatic --noinput\n1 static file copied to '/tmp/collected'." in said["collects"]
    assert "exit 0" in said["collects"] and "Copying " not in said["collects"]
    assert said["no-static-root"].startswith("Skipping Django collectstatic: STATIC_ROOT is not set")
    assert said["no-staticfiles-app"].startswith(
        "Skipping Django collectstatic: django.contrib.staticfiles is not in INSTALLED_APPS\nexit 0")
    assert said["disabled"].startswith("Skipping Django collectstatic: the build-time config var DISABLE_COLLECTSTATIC is set")
    assert run.stdout.rstrip().endswith("site.css")  # what the one real run collected
