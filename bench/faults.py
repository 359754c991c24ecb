"""Faults on a running install, the way an ops person meets them on a bad night.

One throwaway platform instance (with a Redis of its own, so that "Redis down" disturbs nothing
else), one deployed app, and 4 client threads through the router during each fault. Per fault
it prints the requests sent and failed, and the seconds until the platform was whole again
without a human (the killed process back as a new pid and ready, the push ended, the router
answering...). It reports, it does not assert: exit 0 either way, non-zero only if the bench
itself could not run (the platform failed to start, a deploy was refused).

Aims (issue 15): 0 failed requests for every fault that does not kill the router itself; the
router back within 2 s; a killed worker's push ended within 15 s with a clear message.

Run from the repo root (needs Docker, Redis and nginx, like the end-to-end tests):
    .venv/bin/python bench/faults.py
"""
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]

from redis import Redis  # noqa: E402
from router.launcher import nginx_in_group  # noqa: E402
from rq.worker import Worker  # noqa: E402

from bench.common import BenchFailed, run_in_temp_dir  # noqa: E402
from tests.faults import (  # noqa: E402
    RedisServer,
    RouterTraffic,
    kill_process,
    process_pid,
    seconds_until,
    supervised_pid,
)
from tests.support import (  # noqa: E402
    Platform,
    SourceTree,
    deploy_site,
    start_platform,
    static_site,
    stop_platform,
)

TEXT = "serving through faults"
RECOVERY_TIMEOUT = 90.0


@dataclass
class Row:
    fault: str
    sent: int
    failed: int
    recovery: float | None
    note: str = ""


def _web_answers(platform: Platform) -> bool:
    try:
        with urllib.request.urlopen(platform.web_url + "/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _router_answers(platform: Platform, app: str) -> bool:
    try:
        return platform.get(app) == (200, TEXT)
    except OSError:
        return False


def _kill_and_wait(platform: Platform, app: str, name: str, ready: Callable[[int], bool]) -> Row:
    """kill -9 `name`; the seconds until a new process of it does its job (`ready(pid)`)."""
    with RouterTraffic(platform, app, TEXT) as traffic:
        time.sleep(1)
        old = kill_process(platform, name)
        killed = time.monotonic()
        seconds_until(f"{name} to come back", lambda: (pid := supervised_pid(platform, name)) not in (None, old)
                      and ready(pid), timeout=RECOVERY_TIMEOUT, poll=0.05)
        took = time.monotonic() - killed
        time.sleep(1)
    return Row(f"kill -9 {name}", traffic.sent, traffic.failed, took)


def _readiness(platform: Platform, redis: RedisServer, name: str) -> Callable[[int], bool]:
    """How a new process of `name` shows it is at work: web answers /healthz, a worker is
    registered with rq, the others beat their heartbeat with their own pid."""
    connection = Redis.from_url(redis.url)
    if name == "web":
        return lambda pid: _web_answers(platform)
    if name.startswith("worker-"):
        return lambda pid: any(worker.pid == pid for worker in Worker.all(connection=connection))
    key = f"paas:{platform.instance}:heartbeat:{name}"
    return lambda pid: connection.get(key) == str(pid).encode()


def _nginx_processes(platform: Platform) -> list[int]:
    """The router's master and workers: nginx's processes share the master's process group."""
    master = process_pid(platform, "router")
    return nginx_in_group(os.getpgid(master)) if master else []


def _kill_router(platform: Platform, app: str, everything: bool) -> Row:
    with RouterTraffic(platform, app, TEXT) as traffic:
        time.sleep(1)
        victims = _nginx_processes(platform) if everything else [process_pid(platform, "router")]
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        seconds_until("the router to answer again", lambda: _router_answers(platform, app) and
                      supervised_pid(platform, "router") not in (None, *victims), timeout=RECOVERY_TIMEOUT, poll=0.02)
        took = time.monotonic() - killed
        time.sleep(1)
    what = "every nginx process" if everything else "the nginx master"
    return Row(f"kill -9 {what}", traffic.sent, traffic.failed, took)


def _builds(platform: Platform, app: str) -> list[dict]:
    status, builds = platform.api("GET", f"/api/apps/{app}/builds")
    if status != 200:
        raise BenchFailed(f"GET builds answered {status}: {builds}")
    return builds


def _releases(platform: Platform, app: str) -> list[dict]:
    status, releases = platform.api("GET", f"/api/apps/{app}/releases")
    if status != 200:
        raise BenchFailed(f"GET releases answered {status}: {releases}")
    return releases


class SlowPush(threading.Thread):
    """A push whose build sleeps, so a fault can land mid-build: a commit on top of the app's
    source tree (`path`), so that it is a fast-forward of the branch."""

    def __init__(self, platform: Platform, app: str, path: Path) -> None:
        super().__init__(daemon=True)
        self.platform, self.app = platform, app
        self.source = SourceTree(path)
        files = static_site(TEXT)
        files["Dockerfile"] = files["Dockerfile"].replace("COPY", f"RUN sleep 40 # {time.time()}\nCOPY", 1)
        self.source.write(files).commit("slow build")
        self.builds_before = len(_builds(platform, app))
        self.releases_before = len(_releases(platform, app))
        self.ended: float | None = None
        self.push = None

    def run(self) -> None:
        self.push = self.source.push(self.platform.git_url(self.app))
        self.ended = time.monotonic()

    def begin(self) -> None:
        """Start the push and return once its build is in the slow step."""
        self.start()
        seconds_until("the slow build to start", lambda: (b := _builds(self.platform, self.app)) and
                      len(b) > self.builds_before and b[0]["status"] == "building", timeout=60)
        time.sleep(2)  # into the RUN step

    def outcome(self) -> str:
        build = _builds(self.platform, self.app)[0]
        made = len(_releases(self.platform, self.app)) - self.releases_before
        said = [line.split("!", 1)[1].strip() for line in self.push.output.splitlines() if "remote:  !" in line]
        return (f"push exit {self.push.returncode}; build {build['status']}; releases made {made}; "
                f"says: {' / '.join(said)[:200]}")


def _busy_worker(redis: RedisServer) -> str:
    """The platform process name (worker-N) of the rq worker running a job now."""
    connection = Redis.from_url(redis.url)
    for worker in Worker.all(connection=connection):
        if worker.get_current_job_id():
            return "worker-" + worker.name.rsplit("-", 1)[1]
    raise BenchFailed("no worker is running the slow build")


def _worker_mid_build(platform: Platform, app: str, tmp: Path, redis: RedisServer) -> Row:
    push = SlowPush(platform, app, tmp / "site")
    with RouterTraffic(platform, app, TEXT) as traffic:
        push.begin()
        kill_process(platform, _busy_worker(redis))
        killed = time.monotonic()
        push.join(RECOVERY_TIMEOUT)
        took = (push.ended - killed) if push.ended else None
    return Row("kill -9 a worker mid-build (push ended)", traffic.sent, traffic.failed, took, push.outcome())


def _web_mid_push(platform: Platform, app: str, tmp: Path, redis: RedisServer) -> Row:
    push = SlowPush(platform, app, tmp / "site")
    with RouterTraffic(platform, app, TEXT) as traffic:
        push.begin()
        old = kill_process(platform, "web")
        killed = time.monotonic()
        seconds_until("web to come back", lambda: supervised_pid(platform, "web") not in (None, old)
                      and _web_answers(platform), timeout=RECOVERY_TIMEOUT, poll=0.05)
        took = time.monotonic() - killed
        push.join(RECOVERY_TIMEOUT)
        # The build would have gone live by now had it been let through (its RUN step sleeps 40 s).
        time.sleep(45)
    return Row("kill -9 web mid-push (web back)", traffic.sent, traffic.failed, took, push.outcome())


def _redis_down(platform: Platform, app: str, redis: RedisServer, seconds: float = 20) -> Row:
    with RouterTraffic(platform, app, TEXT) as traffic:
        time.sleep(1)
        redis.stop()
        time.sleep(2)
        status, body = platform.api("PATCH", f"/api/apps/{app}/config-vars", {"FAULT": "during"})
        time.sleep(seconds - 2)
        redis.start()
        took = seconds_until("/healthz to say ok", lambda: _web_answers(platform), timeout=RECOVERY_TIMEOUT)
        time.sleep(1)
    error = body.get("error", "") if isinstance(body, dict) else str(body)
    return Row(f"Redis down {seconds:g}s (healthz ok again)", traffic.sent, traffic.failed, took,
               f"config change during it: {status} {error[:100]}")


def _container_with_reconciler_down(platform: Platform, app: str) -> Row:
    with RouterTraffic(platform, app, TEXT) as traffic:
        time.sleep(1)
        kill_process(platform, "reconciler")
        containers = platform.containers(app, process_type="web")
        subprocess.run(["docker", "kill", *containers], capture_output=True, check=True)
        killed = time.monotonic()
        seconds_until("the app to serve again", lambda: _router_answers(platform, app) and
                      not set(platform.containers(app, process_type="web")) & set(containers),
                      timeout=RECOVERY_TIMEOUT)
        took = time.monotonic() - killed
        time.sleep(1)
    return Row("docker kill the app's web container, reconciler killed too", traffic.sent, traffic.failed, took)


def _print(rows: list[Row]) -> None:
    print(f"\n{'fault':<58} {'sent':>6} {'failed':>6} {'recovery':>9}")
    for row in rows:
        recovery = f"{row.recovery:.2f}s" if row.recovery is not None else "never"
        print(f"{row.fault:<58} {row.sent:>6} {row.failed:>6} {recovery:>9}")
        if row.note:
            print(f"    {row.note}")


def run(tmp: Path) -> list[Row]:
    redis = RedisServer(tmp).start()
    platform = start_platform(tmp, REDIS_URL=redis.url)
    rows: list[Row] = []
    try:
        app = deploy_site(platform, tmp / "site", TEXT)
        seconds_until("the app to serve", lambda: _router_answers(platform, app), timeout=60)
        for name in ("web", "worker-1", "reconciler", "logs", "metrics"):
            rows.append(_kill_and_wait(platform, app, name, _readiness(platform, redis, name)))
            print(f"  {rows[-1]}", flush=True)
        for everything in (False, True):
            rows.append(_kill_router(platform, app, everything))
            print(f"  {rows[-1]}", flush=True)
        for fault in (_worker_mid_build, _web_mid_push):
            rows.append(fault(platform, app, tmp, redis))
            print(f"  {rows[-1]}", flush=True)
        rows.append(_redis_down(platform, app, redis))
        print(f"  {rows[-1]}", flush=True)
        rows.append(_container_with_reconciler_down(platform, app))
    finally:
        stop_platform(platform)
        redis.stop()
    return rows


def main() -> int:
    rows = run_in_temp_dir(run)
    if rows is None:
        return 1
    _print(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
