"""Waiting for a build worker, on a platform with one: the push says what it waits for, never
goes silent for long, and then goes live; a config change of another app meanwhile is rolled out
by the deploy worker, not held behind the builds."""
import os
import subprocess
import threading
import time
from itertools import pairwise
from pathlib import Path

import pytest

from tests.support import BASE_IMAGE, SourceTree, start_platform, static_site, stop_platform

pytestmark = pytest.mark.e2e

SLOW_SECONDS = 45


@pytest.fixture(scope="module")
def one_builder(tmp_path_factory, redis_server, docker_engine, base_image):
    platform = start_platform(Path(tmp_path_factory.mktemp("build-queue")), PAAS_BUILD_WORKERS="1", PAAS_DEPLOY_WORKERS="1")
    yield platform
    stop_platform(platform)


class TimedPush(threading.Thread):
    """`git push` whose `remote:` lines are timed as they arrive."""

    def __init__(self, source: SourceTree, url: str) -> None:
        super().__init__(daemon=True)
        self.source, self.url = source, url
        self.lines: list[tuple[float, str]] = []
        self.returncode: int | None = None

    def run(self) -> None:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
        process = subprocess.Popen(["git", "push", self.url, "main"], cwd=self.source.path, env=env, text=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for line in process.stderr:
            self.lines.append((time.monotonic(), line.rstrip()))
        self.returncode = process.wait(timeout=600)

    @property
    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)


def building(platform, app: str) -> dict | None:
    _, builds = platform.api("GET", f"/api/apps/{app}/builds")
    return builds[0] if builds and builds[0]["status"] == "building" else None


def test_a_push_waiting_for_the_busy_build_worker_says_what_runs_ahead_and_config_releases_do_not_wait(one_builder, tmp_path):
    platform = one_builder
    configured = platform.new_app()
    source = SourceTree(tmp_path / "configured")
    source.write(static_site("configured")).commit()
    assert source.push(platform.git_url(configured)).returncode == 0

    slow, waiting = platform.new_app(), platform.new_app()
    slow_source = SourceTree(tmp_path / "slow").write({
        **static_site("slow"),
        "Dockerfile": f"FROM {BASE_IMAGE}\nRUN sleep {SLOW_SECONDS}\nCOPY index.html /www/\nCMD exec httpd -f -p $PORT -h /www\n",
    })
    slow_source.commit()
    waiting_source = SourceTree(tmp_path / "waiting").write(static_site("waited"))
    waiting_source.commit()

    slow_push = TimedPush(slow_source, platform.git_url(slow))
    slow_push.start()
    slow_build = platform.wait_for("the slow build to start", lambda: building(platform, slow), 60)
    waiting_push = TimedPush(waiting_source, platform.git_url(waiting))
    waiting_push.start()
    # Another push to the slow app waits its turn, and says so while it waits.
    second_source = SourceTree(tmp_path / "second").write(static_site("second"))
    second_source.commit()
    second_push = TimedPush(second_source, platform.git_url(slow))
    second_push.start()

    # A config change of a third app while the only build worker is busy: the deploy worker has it.
    status, body = platform.api("PATCH", f"/api/apps/{configured}/config-vars", {"GREETING": "hello"})
    assert status == 200, body
    release = platform.wait_release(configured, 2, timeout=30)
    assert release["status"] == "live", release
    assert building(platform, slow) is not None, "the slow build ended first: this proves nothing"

    for push in (slow_push, waiting_push, second_push):
        push.join(timeout=300)
    assert slow_push.returncode == 0, slow_push.output
    assert waiting_push.returncode == 0, waiting_push.output
    # It pushed onto the branch as it was before the slow push: git's usual answer, after the wait.
    assert second_push.returncode != 0 and "another push updated this branch meanwhile" in second_push.output
    assert "Waiting for another push to this app to finish" in second_push.output, second_push.output
    said = [at for at, line in second_push.lines if "waiting for another push to this app" in line.lower()]
    assert len(said) >= 3 and max(b - a for a, b in pairwise(said)) < 13, second_push.output

    ahead = f"Waiting for a build worker: 1 build ahead ({slow} build {slow_build['id']} running"
    waits = [(at, line) for at, line in waiting_push.lines if ahead in line]
    assert len(waits) >= 2, waiting_push.output  # said, and said again while the wait went on
    assert "this platform runs 1 build worker (PAAS_BUILD_WORKERS)" in waits[0][1]
    queued = next(at for at, line in waiting_push.lines if "queued for" in line)
    started = next(at for at, line in waiting_push.lines if f"Building {waiting}" in line)
    assert started - queued > 15, waiting_push.output  # it did wait for the slow build
    times = [queued, *(at for at, line in waiting_push.lines if queued < at < started), started]
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert max(gaps) < 13, (gaps, waiting_push.output)  # never silent for long (a line every ~10 s)
    assert len(waits) <= (started - queued) / 7 + 2, waiting_push.output  # not a line per poll either
    assert platform.get(waiting) == (200, "waited")

    _, finished = platform.api("GET", f"/api/apps/{slow}/builds/{slow_build['id']}")
    assert finished["duration_seconds"] >= SLOW_SECONDS and finished["started_at"] and finished["finished_at"], finished
