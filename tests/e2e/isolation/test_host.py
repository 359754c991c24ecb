"""The host under the platform: the install's Redis refuses clients without its password, and
the platform's state under var/ is root's alone, but for the path nginx's workers take."""
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq.worker import Worker

from tests.support import ROOT, SourceTree, free_port, start_platform, stop_platform

pytestmark = pytest.mark.e2e

REDIS_DIR = ROOT / "var" / "redis"
SECRETS = ("db.sqlite3", "secret_key", "config.keys", "admin.token", "admin.password")
NOBODY = 65534


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _open_to_others(path: Path) -> bool:
    return bool(_mode(path) & 0o077)


def _redis(port: int, password: str | None = None, db: int = 0) -> redis.Redis:
    """A client that gives up at the first refusal (redis-py retries with backoff by default)."""
    return redis.Redis(port=port, db=db, password=password, socket_timeout=5, retry=Retry(NoBackoff(), 0))


# --- The install's Redis ---------------------------------------------------------------------


def test_the_installs_redis_refuses_a_client_without_its_password_and_the_platform_uses_it(platform):
    with socket.create_connection(("127.0.0.1", 6379), timeout=5) as conn:
        conn.sendall(b"PING\r\n")
        assert conn.recv(100).startswith(b"-NOAUTH"), "the install's Redis answered a client without the password"
    with pytest.raises(redis.AuthenticationError):
        _redis(6379, "not-the-password").ping()
    # The platform instance (which was given no REDIS_URL) registered its workers with it.
    password = (REDIS_DIR / "password").read_text().strip()
    with _redis(6379, password, db=14) as client:
        names = {worker.name for worker in Worker.all(connection=client)}
    assert f"paas-{platform.instance}-worker-1" in names


def test_the_redis_password_is_root_only_and_on_no_command_line(platform):
    password_file = REDIS_DIR / "password"
    assert (_mode(REDIS_DIR), _mode(password_file)) == (0o700, 0o600)
    password = password_file.read_bytes().strip()
    assert len(password) >= 32
    shown = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        if password in command_line:
            shown.append(command_line.replace(b"\0", b" ").decode(errors="replace"))
    assert not shown, f"the Redis password is on these processes' command lines: {shown}"


class ScratchRedis:
    """scripts/redis run on a port and directory of a test's own, and the servers the test starts
    beside it; every one of them is stopped afterwards (by its pid file)."""

    def __init__(self, tmp: Path) -> None:
        self.port, self.dir, self.tmp = free_port(), tmp / "redis", tmp
        self.pid_files = [self.dir / "redis.pid"]

    def script(self) -> subprocess.CompletedProcess:
        command = [str(ROOT / "scripts" / "redis"), "--port", str(self.port), "--dir", str(self.dir)]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    def start_without_password(self, pid_file: Path) -> int:
        """A Redis as the prereqs before this one started it: no password, a pid file."""
        if pid_file not in self.pid_files:
            self.pid_files.append(pid_file)
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(self.port), "--dir",
             str(self.tmp), "--logfile", str(self.tmp / "old-redis.log"), "--pidfile", str(pid_file)],
            check=True, capture_output=True,
        )
        for _ in range(100):
            if pid_file.exists() and self.client().ping():
                return int(pid_file.read_text())
            time.sleep(0.1)
        raise AssertionError("the passwordless redis-server did not start")

    def password(self) -> str:
        return (self.dir / "password").read_text()

    def client(self, password: str | None = None) -> redis.Redis:
        return _redis(self.port, password)

    def pid(self) -> int:
        return self.client(self.password()).info("server")["process_id"]

    def stop(self) -> None:
        for pid_file in self.pid_files:
            try:
                pid = int(pid_file.read_text())
                os.kill(pid, signal.SIGTERM)
            except (OSError, ValueError):
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                time.sleep(0.05)


@pytest.fixture
def scratch_redis(tmp_path):
    scratch = ScratchRedis(tmp_path)
    yield scratch
    scratch.stop()


def test_the_redis_script_starts_one_that_requires_the_password_it_generated_once(scratch_redis):
    first = scratch_redis.script()
    assert first.returncode == 0, first.stderr
    assert (_mode(scratch_redis.dir), _mode(scratch_redis.dir / "password")) == (0o700, 0o600)
    with pytest.raises(redis.AuthenticationError):
        scratch_redis.client().ping()
    password, pid = scratch_redis.password(), scratch_redis.pid()

    again = scratch_redis.script()
    assert again.returncode == 0, again.stderr
    assert (scratch_redis.password(), scratch_redis.pid()) == (password, pid)


def test_the_redis_script_gives_an_earlier_prereqs_passwordless_redis_a_password_live(scratch_redis):
    pid = scratch_redis.start_without_password(scratch_redis.dir / "redis.pid")
    connected = scratch_redis.client()
    connected.set("kept", "yes")

    result = scratch_redis.script()

    assert result.returncode == 0, result.stderr
    assert "now requires" in result.stdout
    with pytest.raises(redis.AuthenticationError):
        scratch_redis.client().ping()
    assert scratch_redis.pid() == pid, "the Redis was restarted, not reconfigured"
    assert scratch_redis.client(scratch_redis.password()).get("kept") == b"yes"
    assert connected.ping(), "a client connected before lost its connection"


def test_the_redis_script_leaves_a_passwordless_redis_that_is_not_its_own_alone(scratch_redis):
    scratch_redis.start_without_password(scratch_redis.tmp / "someone-elses.pid")

    result = scratch_redis.script()

    assert result.returncode == 1
    assert "it is not the one this script started" in result.stderr and "left alone" in result.stderr
    assert scratch_redis.client().config_get("requirepass") == {"requirepass": ""}


# --- var/ --------------------------------------------------------------------------------------


def test_var_is_root_only_but_for_the_search_path_to_nginxs_temp_dirs_and_acme_challenges(platform):
    var = platform.var_dir
    router = var / "router"
    searched = (var, router, router / "temp", router / "acme")
    assert {str(path): _mode(path) for path in searched} == {str(path): 0o711 for path in searched}
    assert {name: _mode(var / name) for name in SECRETS} == {name: 0o600 for name in SECRETS}
    open_entries = [
        str(path) for path in (*var.iterdir(), *router.iterdir()) if path not in searched and _open_to_others(path)
    ]
    assert not open_entries


def test_make_up_makes_an_earlier_installs_state_root_only(platform):
    var = platform.var_dir
    loosened = [var / "log", var / "run", var / "router" / "apps", *(var / name for name in SECRETS)]
    var.chmod(0o755)
    for path in loosened:
        path.chmod(0o755 if path.is_dir() else 0o644)

    result = platform.manage("platform_up")

    assert result.returncode == 0, result.stderr
    assert _mode(var) == 0o711
    assert [str(path) for path in loosened if _open_to_others(path)] == []


CGI_SIZE = """#!/bin/sh
echo "Content-Type: text/plain"
echo
wc -c | tr -d ' '
"""


@pytest.fixture(scope="module")
def platform_in_the_open():
    """A platform instance whose var/ sits in a directory nginx's workers may pass through, as
    under `make up`'s checkout (the shared instance's is under pytest's 0700 base temp)."""
    base = Path(tempfile.mkdtemp(prefix="paas-host-"))
    base.chmod(0o711)
    instance = start_platform(base)
    yield instance
    stop_platform(instance)
    shutil.rmtree(base, ignore_errors=True)


READ_AS_NOBODY = """
import sys
for path in sys.stdin.read().splitlines():
    try:
        open(path, "rb").close()
        print(path)
    except OSError:
        pass
"""


def test_nginx_workers_buffer_a_large_upload_and_nobody_else_reads_a_thing_under_var(platform_in_the_open, tmp_path):
    platform = platform_in_the_open
    app = platform.new_app()
    source = SourceTree(tmp_path / "src").write({
        "Dockerfile": "FROM paas-test/busybox:1\nCOPY size /www/cgi-bin/size\nRUN chmod 755 /www/cgi-bin/size\n"
                      "CMD exec httpd -f -p $PORT -h /www\n",
        "size": CGI_SIZE,
    })
    source.commit()
    push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output
    body = os.urandom(1024 * 1024)  # far beyond nginx's in-memory buffer: it goes to client_body temp

    request = urllib.request.Request(
        f"http://127.0.0.1:{platform.router_port}/cgi-bin/size", data=body, headers={"Host": f"{app}.localhost"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert (response.status, response.read().decode().strip()) == (200, str(len(body)))

    var, nginx_temp = platform.var_dir, platform.var_dir / "router" / "temp"
    # Everything there is, the push's repository and build context included, but nginx's own files.
    files = [path for path in var.rglob("*") if path.is_file() and nginx_temp not in path.parents]
    assert any((var / "git") in path.parents for path in files)
    as_nobody = {"user": NOBODY, "group": NOBODY, "extra_groups": [], "capture_output": True, "text": True}
    assert subprocess.run(["ls", str(var)], **as_nobody).returncode != 0, "nobody lists var/"
    readable = subprocess.run(
        ["/usr/bin/python3", "-c", READ_AS_NOBODY], input="\n".join(map(str, files)), check=True, **as_nobody
    ).stdout.split()
    assert readable == []
