"""The hook git runs is a stdlib-only relay; these run it as git would, in a real process."""
import json
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UPDATE = f"{'a' * 40} {'b' * 40} refs/heads/main\n"


def run_hook(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = f"import sys; sys.path.insert(0, {str(ROOT / 'platform')!r}); from builds.pre_receive import main; main()"
    return subprocess.run(
        [sys.executable, "-IS", "-c", code], input=UPDATE, env=env, capture_output=True, text=True, timeout=30
    )


def serve_once(reply: list[dict]) -> tuple[str, list[dict]]:
    """A socket that answers one hook with `reply`; returns its path and what the hook sent."""
    path = str(Path(tempfile.mkdtemp()) / "hook.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    received: list[dict] = []

    def answer() -> None:
        conn, _ = server.accept()
        with conn, conn.makefile("rb") as lines:
            received.append(json.loads(lines.readline()))
            for message in reply:
                conn.sendall(json.dumps(message).encode() + b"\n")
        server.close()

    threading.Thread(target=answer, daemon=True).start()
    return path, received


def test_hook_relays_lines_and_exits_with_the_platforms_code():
    path, received = serve_once([{"line": "-----> Building"}, {"line": "Released v2"}, {"exit": 0}])
    result = run_hook({"PAAS_HOOK_SOCKET": path, "GIT_QUARANTINE_PATH": "/q", "HOME": "/tmp"})
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["-----> Building", "Released v2"]
    assert received == [{"updates": UPDATE, "env": {"GIT_QUARANTINE_PATH": "/q"}}]


def test_hook_rejects_the_push_when_the_platform_goes_away_mid_build():
    path, _ = serve_once([{"line": "-----> Building"}])
    result = run_hook({"PAAS_HOOK_SOCKET": path})
    assert result.returncode == 1
    assert "stopped answering" in result.stdout


def test_hook_rejects_pushes_that_bypass_the_platforms_git_endpoint():
    result = run_hook({})
    assert result.returncode == 1
    assert "platform's git URL" in result.stdout


def test_hook_rejects_the_push_when_nothing_listens_on_its_socket():
    result = run_hook({"PAAS_HOOK_SOCKET": "/nonexistent/hook.sock"})
    assert result.returncode == 1
    assert "lost the platform's push service" in result.stdout
