"""Where systemd is PID 1, supervisord runs as a unit that systemd restarts; the unit is
rendered with supervisord in the foreground and systemd's own escapes."""
import shutil
import subprocess

import pytest

from controlplane.systemd import render_unit, unit_name


def _unit(tmp_path):
    command = ["/srv/paas/.venv/bin/python", "-m", "supervisor.supervisord", "--nodaemon", "-c", "/srv/paas/var/supervisor/supervisord.conf"]
    return render_unit(command, {"PATH": "/usr/bin:/bin", "HOME": "/root", "SECRET": "not written"})


def test_the_unit_runs_supervisord_in_the_foreground_and_always_restarts_it(tmp_path, settings):
    settings.PAAS_INSTANCE = "prod"
    text = _unit(tmp_path)
    assert unit_name() == "paas-prod.service"
    assert "ExecStart=/srv/paas/.venv/bin/python -m supervisor.supervisord --nodaemon -c /srv/paas/var/supervisor/supervisord.conf" in text
    assert "Restart=always" in text
    assert "KillMode=mixed" in text  # supervisord stops its programs; systemd kills what is left
    assert "Environment=PATH=/usr/bin:/bin HOME=/root" in text
    assert "SECRET" not in text


def test_percent_signs_and_dollars_are_escaped_for_systemd(settings):
    text = render_unit(["/opt/50%/python", "$HOME"], {})
    assert "ExecStart=/opt/50%%/python '$$HOME'" in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_analyze_accepts_the_unit(tmp_path, settings):
    unit = tmp_path / "paas-tests.service"
    unit.write_text(render_unit(["/bin/true"], {"PATH": "/usr/bin:/bin"}))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
