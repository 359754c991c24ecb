"""Where systemd is PID 1, it supervises the supervisor: a unit per instance runs supervisord
in the foreground and restarts it if it dies. On stop it signals supervisord alone (which stops
its programs within their timeouts), then kills whatever is left in the unit's cgroup."""
import shlex
import subprocess
from pathlib import Path

from django.conf import settings

from controlplane.supervisor_config import STOP_WAIT_SECONDS

UNIT_DIR = Path("/etc/systemd/system")


class SystemdError(Exception):
    pass


def is_pid1() -> bool:
    try:
        return Path("/proc/1/comm").read_text().strip() == "systemd"
    except OSError:
        return False


def unit_name() -> str:
    return f"paas-{settings.PAAS_INSTANCE}.service"


def _escape(text: str) -> str:
    # systemd expands % specifiers and $VARIABLES in ExecStart= and Environment=.
    return text.replace("%", "%%").replace("$", "$$")


def render_unit(command: list[str], environment: dict[str, str]) -> str:
    # Only what supervisord itself needs: the programs' settings are in its config.
    env = " ".join(_escape(shlex.quote(f"{name}={environment[name]}")) for name in ("PATH", "HOME", "LANG") if name in environment)
    return f"""# Written by the platform's `make up` (controlplane/systemd.py); `make down` removes it.
[Unit]
Description=PaaS platform processes (instance {settings.PAAS_INSTANCE}) under supervisord
After=network-online.target docker.service
Wants=network-online.target

[Service]
Type=simple
ExecStart={_escape(shlex.join(command))}
WorkingDirectory={settings.ROOT_DIR}
{f"Environment={env}" if env else ""}
UMask=0077
Restart=always
RestartSec=1
KillMode=mixed
TimeoutStopSec={STOP_WAIT_SECONDS * 2}

[Install]
WantedBy=multi-user.target
"""


def _systemctl(*args: str) -> None:
    result = subprocess.run(["systemctl", *args], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise SystemdError(f"systemctl {' '.join(args)} failed: {result.stderr.strip()}")


def install_and_start(command: list[str], environment: dict[str, str]) -> None:
    unit = UNIT_DIR / unit_name()
    text = render_unit(command, environment)
    if not unit.exists() or unit.read_text() != text:
        unit.write_text(text)
        unit.chmod(0o644)
        _systemctl("daemon-reload")
    _systemctl("enable", "--now", unit_name())


def stop_and_remove() -> None:
    unit = UNIT_DIR / unit_name()
    if not unit.exists():
        return
    _systemctl("disable", "--now", unit_name())
    unit.unlink()
    _systemctl("daemon-reload")
