"""README's production settings make `manage.py check --deploy` clean, as the issue asks."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_production_env() -> dict[str, str]:
    """The `export NAME=VALUE` lines of README's "Production settings" section."""
    section = ROOT.joinpath("README.md").read_text().split("### Production settings", 1)[1].split("\n#", 1)[0]
    exports = dict(re.findall(r"^export (\w+)=(\S+)$", section, re.MULTILINE))
    assert exports, "README's Production settings have no export lines"
    return exports


def check_deploy(tmp_path: Path, extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env.update(PAAS_VAR_DIR=str(tmp_path / "var"), **extra)
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_with_the_readmes_production_settings(tmp_path):
    result = check_deploy(tmp_path, readme_production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_with_the_local_defaults(tmp_path):
    """The check above can fail: the local install's plain-HTTP defaults do not pass it."""
    result = check_deploy(tmp_path, {})
    assert result.returncode != 0 and "security.W008" in result.stderr


def test_the_https_redirect_spares_the_health_check_that_make_up_asks_over_plain_http(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/login/").status_code == 301
    health = client.get("/healthz")  # 200, or 503 naming what is down here: never the redirect
    assert health.status_code in (200, 503) and "checks" in health.json()
