"""Platform processes of this instance running with no supervisord of theirs: those of a
supervisord that was killed, or those an earlier version started on its own (pid files in
var/run). They hold the ports a new supervisord's programs need, so `make up` and `make down`
stop them first."""
import os
import signal
import time
from pathlib import Path

from django.conf import settings

from controlplane import pids, supervision
from router import launcher, nginx

# Pid files that are not an earlier version's: nginx's own and supervisord's.
CURRENT_PID_FILES = ("router.pid", "supervisord.pid")


def _environ(pid: int) -> dict[str, str]:
    try:
        pairs = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return {}
    return dict(pair.partition("=")[::2] for pair in pairs if pair)


def _started_by_our_supervisord(pid: int) -> bool:
    # Supervisor names its control socket in each program's environment.
    return _environ(pid).get("SUPERVISOR_SERVER_URL") == supervision.server_url()


def _of_this_instance(pid: int) -> bool:
    """A pid file's process, unless the pid was reused since: the platform's processes ran in
    the checkout with this var dir."""
    try:
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return False
    var_dir = Path(_environ(pid).get("PAAS_VAR_DIR", Path(settings.ROOT_DIR) / "var")).resolve()
    return cwd == Path(settings.ROOT_DIR) and var_dir == Path(settings.VAR_DIR)


def _orphaned_programs() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir()
            if entry.name.isdigit() and int(entry.name) != os.getpid() and _started_by_our_supervisord(int(entry.name))]


def _from_pid_files() -> list[int]:
    found = []
    for path in Path(settings.PAAS_RUN_DIR).glob("*.pid"):
        if path.name in CURRENT_PID_FILES:
            continue
        try:
            pid = int(path.read_text())
        except ValueError:
            pid = None
        path.unlink()
        if pid is not None and _of_this_instance(pid):
            found.append(pid)
    return found


def _stop_groups(leaders: list[int], timeout: float) -> None:
    """SIGTERM each process's group (a program leads its own), SIGKILL after `timeout`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in leaders:
            try:
                os.killpg(os.getpgid(pid), sig)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + timeout
        while (leaders := [pid for pid in leaders if pids.alive(pid)]) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not leaders:
            return


def stop(timeout: float = 15) -> None:
    if supervision.is_running():
        return
    _stop_groups([pid for pid in {*_orphaned_programs(), *_from_pid_files()} if pids.alive(pid)], timeout)
    master = nginx.master_pid()
    if master is not None:
        os.kill(master, signal.SIGQUIT)  # graceful: its workers finish their requests
        deadline = time.monotonic() + timeout
        while pids.alive(master) and time.monotonic() < deadline:
            time.sleep(0.1)
    launcher.reap(nginx.group_file())
