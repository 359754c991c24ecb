"""The log shipper against the real engine and Redis: every line of a container and of the router's
access log reaches its app's stream exactly once, across restarts of the shipper and of containers."""
import http.client
import os
import subprocess
import threading
import time

import pytest

from accounts.models import Team
from applications.models import App
from observability import shipper
from paas import logstream
from observability.access_log import parse, render
from observability.log_cursor import ROUTER_FIELD, container_field
from paas.redis_client import redis_client
from router import nginx
from router.nginx_config import main_conf, router_dir
from router.site import Site
from tests.support import free_port, nginx_available, require
from runtime.processes import ProcessSpec

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _count(first: int, last: int) -> str:
    return f"i={first - 1}; while [ $i -lt {last} ]; do i=$((i+1)); echo line $i; done"


def _lines(first: int, last: int) -> list[str]:
    return [f"line {i}" for i in range(first, last + 1)]


class RunningShipper:
    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=shipper.run, args=(self.stop,), daemon=True)
        self.thread.start()

    def close(self) -> float:
        started = time.monotonic()
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()
        return time.monotonic() - started


@pytest.fixture
def running():
    started: list[RunningShipper] = []

    def start() -> RunningShipper:
        started.append(RunningShipper())
        return started[-1]

    yield start
    for one in started:
        if one.thread.is_alive():
            one.close()


@pytest.fixture
def app(instance, redis_server) -> App:
    team = Team.objects.create(name=f"team-{instance}")
    yield App.objects.create(name=f"app-{instance}", team=team)
    redis = redis_client()
    for key in redis.scan_iter(f"paas:{instance}:*"):
        redis.delete(key)


def _settle(app_id: int, count: int, timeout: float = 20) -> list[logstream.Entry]:
    """The app's stream once it has `count` lines, and a moment later (so duplicates show)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(logstream.recent(app_id, count + 1000)[0]) >= count:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    return logstream.recent(app_id, count + 1000)[0]


def _spec(app: App, command: str, process_type: str = "web") -> ProcessSpec:
    return ProcessSpec(app=app.name, release=1, process_type=process_type, index=1, image="paas-test/busybox:1",
                       command=["sh", "-c", command], memory_mb=64)


def test_container_lines_ship_once_in_order_across_a_shipper_restart(app, backend, running):
    command = f"{_count(1, 300)}; while [ ! -e /tmp/more ]; do sleep 0.1; done; {_count(301, 600)}; sleep 3600"
    process = backend.start(_spec(app, command))
    first = running()

    entries = _settle(app.id, 300)
    assert [e.line for e in entries] == _lines(1, 300)
    assert {e.tag for e in entries} == {"app[web.1]"}
    assert [e.n for e in entries] == list(range(1, 301))
    assert entries[0].ts.endswith("Z") and entries[0].ts <= entries[-1].ts
    assert logstream.cursor(container_field(process.id)) is not None
    assert first.close() < 3  # SIGTERM must not wait out anything

    backend.client.containers.get(process.id).exec_run(["touch", "/tmp/more"])
    time.sleep(0.5)  # lines 301-600 are written while no shipper runs
    running()

    assert [e.line for e in _settle(app.id, 600)] == _lines(1, 600)


def test_both_runs_of_a_container_the_engine_restarted_ship_once(app, backend, running):
    # The restarted container keeps its filesystem, so its second run knows it is one.
    command = (
        f"if [ -e /tmp/ran ]; then {_count(301, 600)}; sleep 3600; fi; "
        f"touch /tmp/ran; {_count(1, 300)}; exit 3"
    )
    running()
    process = backend.start(_spec(app, command))

    entries = _settle(app.id, 601)
    assert [e.line for e in entries if e.source == "app"] == _lines(1, 600)
    assert [e.line for e in entries if e.source == "platform"] == ["web.1 crashed (exited with status 3); restarting it"]
    assert backend.client.containers.get(process.id).attrs["RestartCount"] == 1


def test_a_restart_while_the_shipper_is_down_resumes_from_its_cursor(app, backend, running):
    command = (
        f"if [ -e /tmp/ran ]; then {_count(201, 400)}; sleep 3600; fi; "
        f"touch /tmp/ran; {_count(1, 200)}; while [ ! -e /tmp/exit ]; do sleep 0.1; done; exit 1"
    )
    process = backend.start(_spec(app, command))
    first = running()
    assert len(_settle(app.id, 200)) == 200
    first.close()

    backend.client.containers.get(process.id).exec_run(["touch", "/tmp/exit"])
    deadline = time.monotonic() + 10
    while backend.client.containers.get(process.id).attrs["RestartCount"] < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    running()

    assert [e.line for e in _settle(app.id, 400)] == _lines(1, 400)


def _platform_lines(app_id: int) -> list[str]:
    return [e.line for e in logstream.recent(app_id, 1000)[0] if e.source == "platform"]


def test_a_crash_is_a_platform_line_and_a_stop_or_removal_is_not(app, backend, running):
    running()
    time.sleep(0.5)  # the shipper follows the engine's events
    crashing = backend.start(_spec(app, "if [ -e /tmp/ran ]; then exec sleep 3600; fi; touch /tmp/ran; exit 3"))
    steady = backend.start(_spec(app, "exec sleep 3600", process_type="worker"))

    deadline = time.monotonic() + 20
    while not _platform_lines(app.id) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _platform_lines(app.id) == ["web.1 crashed (exited with status 3); restarting it"]

    backend.stop(steady, timeout=1)  # what the platform does to a retired release: no crash
    backend.remove(crashing)
    time.sleep(1.5)
    assert _platform_lines(app.id) == ["web.1 crashed (exited with status 3); restarting it"]


def test_long_lines_stderr_and_a_last_line_without_newline_ship_whole(app, backend, running):
    command = (
        "echo out; echo err >&2; head -c 40000 /dev/zero | tr '\\0' x; echo; printf 'a\\r\\n'; printf tail; sleep 3600"
    )
    running()
    process = backend.start(_spec(app, command, process_type="worker"))
    entries = _settle(app.id, 4)
    assert sorted(e.line for e in entries[:2]) == ["err", "out"]
    assert [e.line for e in entries[2:]] == ["x" * 40000, "a"]
    assert {e.tag for e in entries} == {"app[worker.1]"}

    backend.client.containers.get(process.id).stop(timeout=1)  # its output ends: "tail" is all there is
    assert [e.line for e in _settle(app.id, 5)][-1] == "tail"

    backend.remove(process)
    deadline = time.monotonic() + 5
    while logstream.cursor(container_field(process.id)) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logstream.cursor(container_field(process.id)) is None  # removed container: cursor forgotten


def _access(app: App | None, path: str, status: int = 200, host: str = "") -> str:
    """A line of the router's access log: of `app`'s server block (by default for its own host
    name), or of no app's (None)."""
    app_id, host = (app.id if app else "-"), host or f"{app.name}.localhost"
    return (
        f'2026-11-23T10:00:00+00:00 app={app_id} host={host} method=GET path="{path}" status={status} bytes=12 '
        f"duration=0.003 upstream=172.17.0.1:40001 connect=0.001 upstream_status={status} request_id=r{path}\n"
    )


def _routed(entries: list[logstream.Entry]) -> list[str]:
    assert {e.tag for e in entries} == {"router"}
    return [e.line.split('path="')[1].split('"')[0] for e in entries]


def test_router_lines_ship_once_per_app_across_rotation_and_restart(app, running, settings, tmp_path):
    settings.PAAS_LOG_DIR = tmp_path
    other = App.objects.create(name=f"other-{app.name}"[:30], team=app.team)
    log_file = tmp_path / "router-access.log"
    with open(log_file, "w") as out:
        out.write(_access(app, "/1") + _access(other, "/o1") + _access(None, "/x", host="nosuchapp.localhost"))
        out.write("malformed line\n" + _access(app, "/2", status=502))
        out.write(_access(None, "/3", host=f"{app.name}.example.com"))  # no app's server block took it
    first = running()

    routed = _settle(app.id, 2)
    assert _routed(routed) == ["/1", "/2"]
    assert routed[0].line == (
        f'at=info method=GET path="/1" host={app.name}.localhost request_id=r/1 status=200 bytes=12 '
        "service=3ms connect=1ms"
    )
    assert routed[1].line.startswith("at=error ") and routed[0].ts == "2026-11-23T10:00:00.000000Z"
    assert _routed(_settle(other.id, 1)) == ["/o1"]

    # logrotate renames the file; nginx writes to it until told to reopen, then to a new one.
    os.rename(log_file, tmp_path / "router-access.log.1")
    with open(tmp_path / "router-access.log.1", "a") as out:
        out.write(_access(app, "/4"))
    with open(log_file, "w") as out:
        out.write(_access(app, "/5") + _access(other, "/o2"))
    assert _routed(_settle(app.id, 4)) == ["/1", "/2", "/4", "/5"]
    first.close()

    with open(log_file, "a") as out:
        out.write(_access(app, "/6") + _access(other, "/o3") + _access(app, "/7"))
    assert logstream.cursor(ROUTER_FIELD).startswith(f"{os.stat(log_file).st_ino}:")
    running()

    assert _routed(_settle(app.id, 6)) == ["/1", "/2", "/4", "/5", "/6", "/7"]
    assert _routed(_settle(other.id, 3)) == ["/o1", "/o2", "/o3"]


def test_release_phase_output_ships_as_app_release(app, backend, running):
    running()
    time.sleep(0.5)
    spec = _spec(app, _count(1, 50), process_type="release")
    assert backend.run_once(spec, timeout=30, on_output=lambda line: None) == 0

    entries = _settle(app.id, 50, timeout=5)
    assert [e.line for e in entries] == _lines(1, 50)
    assert {e.tag for e in entries} == {"app[release.1]"}


def test_a_chunk_cut_short_between_two_apps_is_finished_for_the_second_app_only(app, running, settings, tmp_path):
    settings.PAAS_LOG_DIR = tmp_path
    other = App.objects.create(name=f"other-{app.name}"[:30], team=app.team)
    log_file = tmp_path / "router-access.log"
    log_file.write_text(_access(app, "/1") + _access(other, "/o1") + _access(app, "/2"))
    # What a shipper stopped right after the first app's append of this chunk left behind.
    shipped = [logstream.Line("2026-11-23T10:00:00.000000Z", "router", "", render(parse(_access(app, path))))
               for path in ("/1", "/2")]
    stat = os.stat(log_file)
    logstream.append(app.id, shipped, cursor=(ROUTER_FIELD, f"{stat.st_ino}:0:{stat.st_size}:{app.id}"))
    running()

    assert _routed(_settle(other.id, 1)) == ["/o1"]
    assert _routed(_settle(app.id, 2)) == ["/1", "/2"]


def test_the_router_logs_a_request_by_any_host_name_of_an_app_with_the_apps_id(settings, tmp_path):
    require("nginx", nginx_available(), "apt-get install nginx-light")
    settings.PAAS_ROUTER_DIR, settings.PAAS_LOG_DIR = tmp_path / "router", tmp_path / "log"
    settings.PAAS_RUN_DIR, settings.PAAS_ROUTER_PORT = tmp_path / "run", free_port()
    settings.PAAS_ROUTER_TLS_PORT = free_port()
    nginx.write_main_config()
    nginx.route_app(7, Site.plain("shop.localhost", "www.example.com"), ("127.0.0.1", free_port()))  # nothing listens: 502
    router = subprocess.Popen([settings.PAAS_NGINX_BINARY, "-p", str(router_dir()), "-c", str(main_conf())])
    try:
        nginx.wait_serving(10)
        for host in ("shop.localhost", "www.example.com", "other.localhost"):
            connection = http.client.HTTPConnection("127.0.0.1", settings.PAAS_ROUTER_PORT, timeout=10)
            connection.request("GET", "/by-host", headers={"Host": host})
            connection.getresponse().read()
            connection.close()
    finally:
        router.terminate()
        router.wait(10)
    records = [parse(line) for line in (tmp_path / "log" / "router-access.log").read_text().splitlines()]
    assert [(r.host, r.status, r.app_id) for r in records if r.path == "/by-host"] == [
        ("shop.localhost", 502, 7), ("www.example.com", 502, 7), ("other.localhost", 404, None),
    ]
