"""Faults during a push: a build worker or the web process killed mid-build, the pushing client
gone, an app deleted. On a platform of the module's own, with traffic through the router to the
app's previous release the whole time."""
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings

from tests.faults import RouterTraffic, process_pid, seconds_until
from tests.support import (
    BASE_IMAGE,
    Platform,
    SourceTree,
    git,
    start_platform,
    static_site,
    stop_platform,
)

pytestmark = pytest.mark.e2e

LEASE_SECONDS = 12  # paas/leases.py


@pytest.fixture(scope="module")
def own_platform(tmp_path_factory, redis_server, docker_engine, base_image):
    platform = start_platform(Path(tmp_path_factory.mktemp("build-faults")))
    yield platform
    stop_platform(platform)


@pytest.fixture(scope="module")
def platform_redis(own_platform) -> redis.Redis:
    url = django_settings.REDIS_URL.rsplit("/", 1)[0] + "/" + own_platform.env["PAAS_REDIS_DB"]
    client = redis.Redis.from_url(url)
    yield client
    client.close()


def slow_site(text: str) -> dict[str, str]:
    """A site whose build takes 30 s in a RUN step. The step is new each time: one an earlier
    test's build finished would come from the engine's layer cache at once."""
    files = static_site(text)
    step = f"RUN echo {uuid.uuid4().hex} && sleep 30"
    files["Dockerfile"] = files["Dockerfile"].replace(f"FROM {BASE_IMAGE}\n", f"FROM {BASE_IMAGE}\n{step}\n", 1)
    assert step in files["Dockerfile"], files["Dockerfile"]
    return files


def assert_next_push_goes_live(platform: Platform, source: SourceTree, app: str) -> None:
    """After the fault, pushing again just works: the app is not left locked or half-built."""
    source.write(static_site("v3\n")).commit()
    again = source.push(platform.git_url(app))
    assert again.returncode == 0, again.output
    assert platform.get(app) == (200, "v3\n")


def live_app(platform: Platform, path: Path, text: str) -> tuple[str, SourceTree]:
    app = platform.new_app()
    source = SourceTree(path)
    source.write(static_site(text)).commit()
    push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output
    return app, source


def start_push(source: SourceTree, url: str) -> subprocess.Popen:
    """`git push` in a process group of its own, as a terminal runs it."""
    return subprocess.Popen(
        ["git", "push", url, "main"], cwd=source.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"}, start_new_session=True,
    )


def builds(platform: Platform, app: str) -> list[dict]:
    status, body = platform.api("GET", f"/api/apps/{app}/builds")
    assert status == 200, body
    return body


def releases(platform: Platform, app: str) -> list[tuple[int, str]]:
    status, body = platform.api("GET", f"/api/apps/{app}/releases")
    assert status == 200, body
    return [(r["version"], r["status"]) for r in body]


def building(platform: Platform, app: str) -> dict | None:
    """The app's newest build once its slow step runs."""
    newest = builds(platform, app)[0]
    return newest if newest["status"] == "building" else None


def remote_head(platform: Platform, source: SourceTree, app: str) -> str:
    return git(source.path, "ls-remote", platform.git_url(app), "refs/heads/main").stdout.split()[0]


def push_lock(platform: Platform, app: str) -> str:
    return f"paas:{platform.instance}:push:{app}"


def build_worker(platform: Platform, client: redis.Redis, build_id: int) -> tuple[str, int, int]:
    """(worker name, worker pid, work-horse pid) of the worker running the build, from rq's records."""
    job_key = f"rq:job:paas-{platform.instance}-build-{build_id}"
    name = platform.wait_for("a worker to take the build", lambda: client.hget(job_key, "worker_name"), 30).decode()
    pid = int(client.hget(f"rq:worker:{name}", "pid"))
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout.split()
    assert children, f"worker {name} ({pid}) has no work-horse"
    return name, pid, int(children[0])


def worker_back(platform: Platform, client: redis.Redis) -> None:
    """Every build worker registered again; platform_up if nothing restarted a dead one."""
    # Build workers only (`paas-INSTANCE-worker-N`): the deploy workers take no builds.
    count = platform.manage("shell", "-c", "from django.conf import settings; print(settings.PAAS_BUILD_WORKERS)")
    wanted = int(count.stdout.split()[-1])

    def alive() -> bool:
        names = [key.decode().removeprefix("rq:worker:") for key in client.smembers("rq:workers")]
        pids = [client.hget(f"rq:worker:{name}", "pid") for name in names
                if name.startswith(f"paas-{platform.instance}-worker-")]
        return sum(1 for pid in pids if pid and _running(int(pid))) >= wanted

    try:
        seconds_until("a supervisor to restart the worker", alive, timeout=10)
    except AssertionError:
        print("no supervisor restarted the killed worker within 10s: ran platform_up")
        result = platform.manage("platform_up")
        assert result.returncode == 0, result.stdout + result.stderr
        seconds_until("the workers to register", alive, timeout=60)


def web_back(platform: Platform) -> None:
    def answers() -> bool:
        try:
            return platform.api("GET", "/api/apps")[0] == 200
        except OSError:
            return False

    try:
        seconds_until("a supervisor to restart web", answers, timeout=10)
    except AssertionError:
        print("no supervisor restarted the killed web process within 10s: ran platform_up")
        result = platform.manage("platform_up")
        assert result.returncode == 0, result.stdout + result.stderr


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


@pytest.mark.parametrize("victim", ["worker", "work-horse"])
def test_a_build_worker_killed_mid_build_ends_the_push_at_once_with_the_reason(own_platform, platform_redis, tmp_path, victim):
    platform = own_platform
    app, source = live_app(platform, tmp_path / "src", "v1\n")
    source.write(slow_site("v2\n")).commit()
    with RouterTraffic(platform, app, "v1\n") as traffic:
        push = start_push(source, platform.git_url(app))
        build = platform.wait_for("the slow build to start", lambda: building(platform, app), 60)
        time.sleep(3)  # into the slow step
        name, worker_pid, horse_pid = build_worker(platform, platform_redis, build["id"])
        os.kill(worker_pid if victim == "worker" else horse_pid, signal.SIGKILL)
        killed = time.monotonic()
        output, _ = push.communicate(timeout=60)
        ended = time.monotonic() - killed
        time.sleep(1)
    print(f"{victim} of {name} killed mid-build: the push ended {ended:.1f}s later; traffic {traffic.summary()}")
    assert push.returncode != 0, output
    assert ended < 15, output
    assert "the build worker stopped mid-build" in output and name in output, output
    assert "push again" in output
    failed = builds(platform, app)[0]
    assert failed["id"] == build["id"] and failed["status"] == "failed", failed
    assert "the build worker stopped mid-build" in failed["failure_reason"]
    assert releases(platform, app) == [(1, "live")]
    assert traffic.failed == 0, traffic.summary()
    assert platform_redis.get(push_lock(platform, app)) is None
    horse_gone = seconds_until("the killed worker's work-horse to be gone", lambda: not _running(horse_pid), timeout=5)
    print(f"its work-horse was gone {horse_gone:.1f}s after the check began")

    worker_back(platform, platform_redis)
    assert_next_push_goes_live(platform, source, app)


def test_web_killed_mid_push_releases_nothing_and_frees_the_app(own_platform, platform_redis, tmp_path):
    platform = own_platform
    app, source = live_app(platform, tmp_path / "src", "v1\n")
    before = remote_head(platform, source, app)
    commit = source.write(slow_site("v2\n")).commit()
    with RouterTraffic(platform, app, "v1\n") as traffic:
        push = start_push(source, platform.git_url(app))
        build = platform.wait_for("the slow build to start", lambda: building(platform, app), 60)
        os.kill(process_pid(platform, "web"), signal.SIGKILL)
        killed = time.monotonic()
        output, _ = push.communicate(timeout=60)
        seconds_until(
            "the push lock to lapse", lambda: platform_redis.get(push_lock(platform, app)) is None, timeout=LEASE_SECONDS + 5
        )
        freed = time.monotonic() - killed
        web_back(platform)
        failed = platform.wait_for(
            "the orphaned build to end", lambda: (b := builds(platform, app)[0])["status"] != "building" and b, 90
        )
        time.sleep(2)  # a release, were one made, would be on its way now
        assert releases(platform, app) == [(1, "live")]
        assert platform.get(app) == (200, "v1\n")
    print(f"web killed mid-push: push lock freed {freed:.1f}s after the kill; traffic {traffic.summary()}")
    assert push.returncode != 0, output
    assert failed["id"] == build["id"] and failed["status"] == "failed", failed
    assert "the push ended before its build was released" in failed["failure_reason"], failed
    assert remote_head(platform, source, app) == before != commit
    assert traffic.failed == 0, traffic.summary()

    assert_next_push_goes_live(platform, source, app)
    assert remote_head(platform, source, app) == git(source.path, "rev-parse", "HEAD").stdout.strip()


def test_a_push_whose_client_goes_away_is_cancelled_and_frees_the_app(own_platform, platform_redis, tmp_path):
    platform = own_platform
    app, source = live_app(platform, tmp_path / "src", "v1\n")
    before = remote_head(platform, source, app)
    source.write(slow_site("v2\n")).commit()
    with RouterTraffic(platform, app, "v1\n") as traffic:
        push = start_push(source, platform.git_url(app))
        build = platform.wait_for("the slow build to start", lambda: building(platform, app), 60)
        # git and its transport helpers (git-remote-http holds the connection), as a closed terminal does.
        os.killpg(push.pid, signal.SIGKILL)
        push.wait(10)
        killed = time.monotonic()
        seconds_until(
            "the push lock to be let go", lambda: platform_redis.get(push_lock(platform, app)) is None, timeout=LEASE_SECONDS + 5
        )
        freed = time.monotonic() - killed
        failed = platform.wait_for(
            "the cancelled build to end", lambda: (b := builds(platform, app)[0])["status"] != "building" and b, 90
        )
        time.sleep(2)
        assert releases(platform, app) == [(1, "live")]
    print(f"client killed mid-push: push lock freed {freed:.1f}s after the kill; traffic {traffic.summary()}")
    assert freed < 5
    assert failed["id"] == build["id"] and failed["status"] == "failed", failed
    assert "the push ended before its build was released" in failed["failure_reason"], failed
    assert remote_head(platform, source, app) == before
    assert traffic.failed == 0, traffic.summary()

    assert_next_push_goes_live(platform, source, app)


def test_deleting_an_app_removes_its_locks(own_platform, platform_redis, tmp_path):
    platform = own_platform
    app, source = live_app(platform, tmp_path / "src", "v1\n")
    source.write(slow_site("v2\n")).commit()
    push = start_push(source, platform.git_url(app))
    platform.wait_for("the slow build to start", lambda: building(platform, app), 60)
    assert platform_redis.get(push_lock(platform, app)) is not None
    status, body = platform.api("DELETE", f"/api/apps/{app}")
    assert status == 202, body
    # A job deletes it, under the rollout lock: the push lock goes with the app.
    platform.wait_for("the app to be deleted", lambda: platform.api("GET", f"/api/apps/{app}")[0] == 404, timeout=30)
    assert platform_redis.get(push_lock(platform, app)) is None
    # A reconciler pass that listed the app before its deletion may hold the lock for a moment
    # (and finds the app gone); a lock left behind would stay until its 12 s lease lapsed.
    platform.wait_for("the rollout lock to be let go",
                      lambda: platform_redis.get(f"paas:{platform.instance}:rollout:{app}") is None, timeout=3)
    output, _ = push.communicate(timeout=90)
    assert push.returncode != 0, output
