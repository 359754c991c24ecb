"""Every platform process is supervised: kill -9 of each comes back as a new process within
seconds while the router keeps serving, the router itself comes back within 2 s (its master
alone killed, or every nginx process of the instance), restarts are counted and logged, a
program that cannot start backs off and ends FATAL, and `make down` stops it all for good."""
import dataclasses
import os
import signal
import socket
import time
from pathlib import Path

import pytest
from router.launcher import nginx_in_group

from tests.faults import (
    RouterTraffic,
    kill_process,
    process_pid,
    process_status,
    replaced,
    seconds_until,
)
from tests.support import deploy_site, start_platform, stop_platform

pytestmark = pytest.mark.e2e

TEXT = "supervised\n"
ROUTER_AIM_SECONDS = 2.0


@pytest.fixture(scope="module")
def own_platform(tmp_path_factory, docker_engine, base_image):
    tmp = tmp_path_factory.mktemp("supervision")
    platform = start_platform(tmp / "platform")
    platform.app = deploy_site(platform, tmp / "src", TEXT)
    yield platform
    stop_platform(platform)


def _platform_log(platform) -> str:
    path = platform.var_dir / "log" / "platform.log"
    return path.read_text() if path.exists() else ""


def _served_by_new_router(platform, old_group: int) -> bool:
    """A fresh connection is answered, and no nginx process of the killed router's group is left."""
    try:
        return not nginx_in_group(old_group) and platform.get(platform.app) == (200, TEXT)
    except OSError:  # refused: nothing listens yet
        return False


@pytest.mark.parametrize("name", ["web", "worker-1", "deployer-1", "reconciler", "logs", "metrics", "autoscaler", "activator", "certificates"])
def test_a_killed_platform_process_is_restarted_while_apps_keep_serving(own_platform, name):
    platform = own_platform
    restarts_before = process_status(platform)[name]["restarts"]
    with RouterTraffic(platform, platform.app, TEXT) as traffic:
        time.sleep(0.5)
        old_pid = kill_process(platform, name)
        seconds = seconds_until(f"{name} to be restarted", lambda: replaced(platform, name, old_pid), timeout=30)
        time.sleep(0.5)
    print(f"\n{name}: kill -9, running again as a new process after {seconds:.1f}s; {traffic.summary()}")

    assert traffic.sent > 50
    assert traffic.failed == 0, traffic.summary()
    status = process_status(platform)[name]
    assert status["restarts"] == restarts_before + 1
    assert status["last_exit"] == "terminated by SIGKILL"
    log = _platform_log(platform)
    assert f"{name} (pid {old_pid}) exited unexpectedly (terminated by SIGKILL); restarting" in log
    assert f"{name} restarted (pid {status['pid']})" in log
    if name == "web":
        assert platform.api("GET", f"/api/apps/{platform.app}")[0] == 200


@pytest.mark.parametrize("what", ["master", "every nginx process"])
def test_the_router_is_back_within_2s_when_nginx_is_killed(own_platform, what):
    platform = own_platform
    master = process_pid(platform, "router")
    group = os.getpgid(master)
    assert group == master  # supervisor made it a group leader: its workers are in its group
    victims = [master] if what == "master" else nginx_in_group(group)
    assert len(victims) >= (1 if what == "master" else 2)
    with RouterTraffic(platform, platform.app, TEXT) as traffic:
        time.sleep(0.5)
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        seconds = seconds_until("the router to serve from a new master", lambda: _served_by_new_router(platform, group),
                                timeout=30, poll=0.02)
        time.sleep(0.5)
    print(f"\nrouter, kill -9 of the {what}: serving from a new master after {seconds:.2f}s; {traffic.summary()}")

    assert seconds < ROUTER_AIM_SECONDS
    assert traffic.sent > 50
    assert platform.get(platform.app) == (200, TEXT)
    assert f"router (pid {master}) exited unexpectedly (terminated by SIGKILL)" in _platform_log(platform)
    seconds_until("the router's state to be running", lambda: replaced(platform, "router", master), timeout=10)


def test_a_program_that_cannot_start_backs_off_and_ends_fatal(own_platform):
    """The web server's port is taken by another process: supervisor retries with growing
    pauses and gives up, instead of restarting it in a loop; `make up` brings it back once
    the port is free."""
    platform = own_platform
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        blocked = dataclasses.replace(platform, env={**platform.env, "PAAS_WEB_PORT": str(taken.getsockname()[1])})
        started = time.monotonic()
        result = blocked.manage("platform_up")
        assert result.returncode != 0
        assert "web did not become ready" in result.stderr
        seconds_until("web to be FATAL", lambda: process_status(platform)["web"]["state"] == "fatal", timeout=60)
        elapsed = time.monotonic() - started
    log = _platform_log(platform)
    attempts = log.count("web exited as it started")
    print(f"\nweb with its port taken: FATAL after {attempts} attempts in {elapsed:.1f}s")
    assert "web kept exiting as it started: supervisor gave up on it (FATAL)" in log
    assert attempts >= 5
    assert elapsed > 10  # backed off: 1 s, 2 s, 3 s, ... between attempts

    result = platform.manage("platform_up")
    assert result.returncode == 0, result.stdout + result.stderr
    assert process_status(platform)["web"]["state"] == "running"
    assert platform.api("GET", f"/api/apps/{platform.app}")[0] == 200


def _instance_processes(platform) -> list[int]:
    """Processes started by the instance's supervisord, supervisord itself, and its nginx."""
    marker = f"SUPERVISOR_SERVER_URL=unix://{platform.var_dir / 'run' / 'supervisor.sock'}".encode()
    config = str(platform.var_dir / "supervisor" / "supervisord.conf").encode()
    router_dir = str(platform.var_dir / "router").encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in environ or config in command or router_dir in command:
            found.append(int(entry.name))
    return found


def test_make_down_stops_everything_for_good_and_make_up_brings_it_back(own_platform):
    platform = own_platform
    router_group = process_pid(platform, "router")
    assert len(_instance_processes(platform)) >= 8

    result = platform.manage("platform_down")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _instance_processes(platform) == []
    assert nginx_in_group(router_group) == []
    time.sleep(5)  # nothing comes back by itself
    assert _instance_processes(platform) == []
    assert all(status["state"] == "stopped" for status in process_status(platform).values())

    result = platform.manage("platform_up")
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(status["state"] == "running" for status in process_status(platform).values()), process_status(platform)
    assert platform.get(platform.app) == (200, TEXT)
