"""Start the router's nginx under supervisord: `python -I launcher.py GROUP_FILE -- NGINX ARGS...`.

When nginx's master is killed (kill -9, the OOM killer) its workers live on, holding the
listening socket and serving the old config: a new master could not bind, and supervisor would
give up. Supervisor makes each program the leader of its own process group, and nginx's workers
stay in their master's, so this records its group before exec'ing nginx and, the next time,
ends the nginx processes left in the recorded group first: gracefully (QUIT: they finish their
requests), then with SIGKILL. Standard library only, so it starts in milliseconds.
"""
import os
import signal
import sys
import time
from pathlib import Path

GRACE_SECONDS = 1.0


def _stat(pid: str) -> tuple[str, str, int] | None:
    """(comm, state, process group) of a process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    return comm, fields[0], int(fields[2])


def nginx_in_group(pgid: int) -> list[int]:
    """Live (not zombie) nginx processes of the process group `pgid`: a recycled group id
    names no nginx process, so nothing else is ever signalled."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(entry)) and stat[0] == "nginx" and stat[1] != "Z" and stat[2] == pgid:
            found.append(int(entry))
    return found


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _wait_gone(pgid: int, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := nginx_in_group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return left


def reap(group_file: Path) -> None:
    """End the nginx processes left in the group recorded in `group_file`."""
    try:
        pgid = int(group_file.read_text())
    except (OSError, ValueError):
        return
    if pgid == os.getpgrp() or not (left := nginx_in_group(pgid)):
        return
    _signal_all(left, signal.SIGQUIT)
    if left := _wait_gone(pgid, GRACE_SECONDS):
        _signal_all(left, signal.SIGKILL)
        _wait_gone(pgid, GRACE_SECONDS)


def main(argv: list[str]) -> None:
    group_file, separator, *command = argv
    if separator != "--" or not command:
        sys.exit("usage: launcher.py GROUP_FILE -- NGINX ARGS...")
    group_file = Path(group_file)
    reap(group_file)
    group_file.write_text(f"{os.getpgrp()}\n")
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
