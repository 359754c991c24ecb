"""What the fault suite and bench/faults.py share: steady traffic through the router while a
fault is injected, the platform's process ids, and the time until the platform is whole."""
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
import xmlrpc.client
from dataclasses import dataclass, field

from supervisor.xmlrpc import SupervisorTransport

from tests.support import Platform, free_port


@dataclass
class Failure:
    at: float  # time.monotonic()
    what: str


@dataclass
class RouterTraffic:
    """`threads` clients sending GETs to `app` through the router, each on a keep-alive
    connection (a new one after an error), counting every request and every failure (an error,
    a status other than 200, or a body other than `expected`)."""

    platform: Platform
    app: str
    expected: str
    threads: int = 4
    pause: float = 0.01
    sent: int = 0
    failures: list[Failure] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._clients = [threading.Thread(target=self._client, daemon=True) for _ in range(self.threads)]

    def __enter__(self) -> "RouterTraffic":
        for client in self._clients:
            client.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> "RouterTraffic":
        self._halt.set()
        for client in self._clients:
            client.join(15)
        return self

    @property
    def failed(self) -> int:
        return len(self.failures)

    def _client(self) -> None:
        conn = None
        host = f"{self.app}.localhost"
        while not self._halt.is_set():
            failure = None
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", self.platform.router_port, timeout=10)
                conn.request("GET", "/", headers={"Host": host})
                response = conn.getresponse()
                body = response.read().decode(errors="replace")
                if (response.status, body) != (200, self.expected):
                    failure = f"{response.status} {body[:60]!r}"
            except (OSError, http.client.HTTPException) as error:
                failure = repr(error)
                conn = None
            with self._lock:
                self.sent += 1
                if failure is not None:
                    self.failures.append(Failure(time.monotonic(), failure))
            if failure is not None:
                time.sleep(0.05)  # a refused connection returns at once: do not spin
            time.sleep(self.pause)

    def summary(self) -> str:
        kinds: dict[str, int] = {}
        for failure in self.failures:
            kinds[failure.what] = kinds.get(failure.what, 0) + 1
        return f"{self.sent} sent, {self.failed} failed {kinds}"


def process_status(platform: Platform) -> dict[str, dict]:
    """`manage.py platform_status --json`: each platform process's state and pid, by name."""
    result = platform.manage("platform_status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def process_pid(platform: Platform, name: str) -> int | None:
    return process_status(platform).get(name, {}).get("pid")


def supervised_pid(platform: Platform, name: str) -> int | None:
    """The pid of program `name` as the instance's supervisord has it, asked over its control
    socket: milliseconds, where `manage.py platform_status` takes a second or two to start."""
    transport = SupervisorTransport(None, None, f"unix://{platform.var_dir / 'run' / 'supervisor.sock'}")
    proxy = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)
    try:
        return proxy.supervisor.getProcessInfo(name)["pid"] or None
    except (OSError, xmlrpc.client.Error):
        return None


def kill_process(platform: Platform, name: str, sig: int = signal.SIGKILL) -> int:
    """Send `sig` (kill -9 by default) to the platform process `name`; its pid."""
    pid = process_pid(platform, name)
    assert pid, f"{name} is not running: {process_status(platform)}"
    os.kill(pid, sig)
    return pid


def seconds_until(what: str, predicate, timeout: float = 60, poll: float = 0.1) -> float:
    """Seconds until `predicate()` is truthy; fails naming `what` after `timeout`."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, f"timed out after {timeout:g}s waiting for {what}"
        time.sleep(poll)
    return time.monotonic() - started


def replaced(platform: Platform, name: str, old_pid: int) -> bool:
    """The process `name` runs again, as a new process."""
    status = process_status(platform).get(name, {})
    return status.get("state") == "running" and status.get("pid") not in (None, old_pid)


class RedisServer:
    """A redis-server of the test's own on 127.0.0.1 (never the install's, which others share),
    that can be stopped and started again on the same port to play "Redis down"."""

    def __init__(self, directory) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        seconds_until("the test's redis-server to answer", self.answers, timeout=10)
        return self

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None
