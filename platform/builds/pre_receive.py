"""The hooks git runs for every push: a relay to the web process that started git.

It uses the standard library only and starts in milliseconds: starting Django here cost most
of a second per push. It hands the ref updates and git's quarantine variables (the pushed
objects are readable only with them) to the web process over the push's private Unix socket
(builds/hook_socket.py), prints what comes back, and exits with the code it is given. Exiting
non-zero rejects the push, so git moves no branch for a failed build or rollout. The same
relay runs as post-receive, once git has moved the branch: it prints the end of the rollout
(the release goes live only once the branch holds its commit, builds/receive.py).
"""
import json
import os
import socket
import sys

QUARANTINE_VARS = ("GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES")
SOCKET_VAR = "PAAS_HOOK_SOCKET"


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def relay(path: str, updates: str, hook: str = "pre-receive") -> int:
    request = {"updates": updates, "env": {name: os.environ[name] for name in QUARANTINE_VARS if name in os.environ}}
    if hook != "pre-receive":
        request["hook"] = hook
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(path)
        conn.sendall(json.dumps(request).encode() + b"\n")
        for raw in conn.makefile("rb"):
            message = json.loads(raw)
            if "exit" in message:
                return int(message["exit"])
            say(message["line"])
    if hook == "pre-receive":
        say(" !     The platform stopped answering before the build finished; the push is rejected.")
    else:
        say(" !     The platform stopped answering before the release went live; see the app's releases.")
    return 1


def run() -> int:
    hook = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0].endswith("-receive") else "pre-receive"
    updates = sys.stdin.read()
    path = os.environ.get(SOCKET_VAR)
    if not path:
        say(" !     Push refused: push through the platform's git URL (http://HOST/git/APP.git).")
        return 1
    try:
        return relay(path, updates, hook)
    except (OSError, ValueError) as error:
        say(f" !     Push rejected: lost the platform's push service ({error}).")
        return 1


def main() -> int:
    code = run()
    # git waits for this process to exit before it moves the branch; skip interpreter teardown.
    sys.stdout.flush()
    os._exit(code)
