"""The instance's supervisord: started (or updated) by `make up`, asked over its XML-RPC control
socket in var/run, shut down for good by `make down`.

Supervisor restarts a program that exits, backing off when it keeps failing to start, and
ends in FATAL rather than spin. Where systemd is PID 1, supervisord itself runs as a systemd
unit (controlplane/systemd.py); elsewhere it runs detached, like any daemon.
"""
import os
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

from django.conf import settings
from supervisor.xmlrpc import SupervisorTransport

from controlplane import pids, systemd
from controlplane.supervisor_config import Program, is_setting, render


class SupervisorError(Exception):
    pass


def _dir() -> Path:
    return Path(settings.VAR_DIR) / "supervisor"


def config_path() -> Path:
    return _dir() / "supervisord.conf"


def socket_path() -> Path:
    return Path(settings.PAAS_RUN_DIR) / "supervisor.sock"


def pid_file() -> Path:
    return Path(settings.PAAS_RUN_DIR) / "supervisord.pid"


def server_url() -> str:
    return f"unix://{socket_path()}"


def _rpc():
    proxy = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=SupervisorTransport(None, None, server_url()))
    return proxy.supervisor


def is_running() -> bool:
    try:
        return _rpc().getState()["statename"] == "RUNNING"
    except (OSError, xmlrpc.client.Error):
        return False


def process_info() -> dict[str, dict]:
    """supervisord's record of each program by name ({} when supervisord is not running)."""
    try:
        return {info["name"]: info for info in _rpc().getAllProcessInfo()}
    except (OSError, xmlrpc.client.Error):
        return {}


def pid_of(name: str) -> int | None:
    info = process_info().get(name)
    return (info["pid"] or None) if info else None


def read_log_tail(length: int = 8000) -> str:
    """The end of supervisord's own log (exits are described there: "terminated by SIGKILL")."""
    return _rpc().readLog(-length, 0)


def base_environment() -> dict[str, str]:
    """supervisord's own environment: the caller's without the platform's settings, which
    each program gets from its config instead (so a setting dropped since is not inherited)."""
    return {name: value for name, value in os.environ.items() if not is_setting(name)}


def apply(programs: list[Program]) -> None:
    """Write the config; start supervisord, or have the running one take the new config; then
    start every program that is not running (one left FATAL by an earlier crash loop too)."""
    directory = _dir()
    directory.mkdir(parents=True, exist_ok=True)
    run_dir = Path(settings.PAAS_RUN_DIR)
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o700)  # the control socket's directory: root's alone
    if len(str(socket_path()).encode()) > 100:
        raise SupervisorError(f"the path of supervisor's socket is too long for a Unix socket: {socket_path()} (use a shorter PAAS_VAR_DIR)")
    text = render(programs, socket=str(socket_path()), pid_file=str(pid_file()), log_dir=str(settings.PAAS_LOG_DIR))
    tmp = config_path().with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, config_path())
    if is_running():
        _update()
    else:
        _start_supervisord()
    rpc = _rpc()
    for info in rpc.getAllProcessInfo():
        if info["statename"] in ("STOPPED", "EXITED", "FATAL"):
            try:
                rpc.startProcess(info["name"], False)
            except xmlrpc.client.Fault as fault:
                if "ALREADY_STARTED" not in fault.faultString:
                    raise SupervisorError(f"supervisor could not start {info['name']}: {fault.faultString}") from None


def _update() -> None:
    """What `supervisorctl update` does: programs whose config changed are restarted with it,
    removed ones stopped, new ones started."""
    rpc = _rpc()
    try:
        added, changed, removed = rpc.reloadConfig()[0]
    except xmlrpc.client.Fault as fault:
        raise SupervisorError(f"supervisor refused the new config {config_path()}: {fault.faultString}") from None
    for name in removed:
        rpc.stopProcessGroup(name)
        rpc.removeProcessGroup(name)
    for name in changed:
        rpc.stopProcessGroup(name)
        rpc.removeProcessGroup(name)
        rpc.addProcessGroup(name)
    for name in added:
        rpc.addProcessGroup(name)


def _start_supervisord(timeout: float = 20) -> None:
    if systemd.is_pid1():
        systemd.install_and_start(supervisord_command(daemon=False), base_environment())
    else:
        log = Path(settings.PAAS_LOG_DIR) / "supervisord.log"
        result = subprocess.run(supervisord_command(daemon=True), env=base_environment(), cwd=settings.ROOT_DIR,
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise SupervisorError(f"supervisord did not start (see {log}): {(result.stdout + result.stderr).strip()}")
    deadline = time.monotonic() + timeout
    while not is_running():
        if time.monotonic() > deadline:
            raise SupervisorError(f"supervisord did not answer on {socket_path()} within {timeout:g}s")
        time.sleep(0.1)


def supervisord_command(*, daemon: bool) -> list[str]:
    return [sys.executable, "-m", "supervisor.supervisord", *([] if daemon else ["--nodaemon"]), "-c", str(config_path())]


def shutdown(timeout: float = 60) -> None:
    """Stop every program (each within its stop timeout), then supervisord itself, for good."""
    if systemd.is_pid1():
        systemd.stop_and_remove()
    if not is_running():
        return
    pid = _rpc().getPID()
    _rpc().stopAllProcesses(True)
    _rpc().shutdown()
    deadline = time.monotonic() + timeout
    while pids.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
