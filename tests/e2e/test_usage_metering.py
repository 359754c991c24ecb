"""Usage metering against the shared platform: a worker that burns a known amount of CPU shows
it in the usage API (±10 %), a type scaled to 0 shows 0, a stopped worker and a sleeping web
cost nothing more, and the usage pages draw their chart."""
import time

import pytest
from playwright.sync_api import Page, expect

from tests.support import BASE_IMAGE, SourceTree, deploy_site

pytestmark = pytest.mark.e2e

BURN_SECONDS = 15
IDLE = 12  # a sleepy web's idle window: long enough for the sampler to read it awake
# A busy loop that stops once the shell has used BURN_SECONDS of CPU time (utime + stime in its
# /proc stat, in 1/100 s), then idles: the figure to expect does not depend on how busy the host
# is, and the meter reads the container again after the loop has ended.
BURN = f"""#!/bin/sh
while read -r stat < /proc/$$/stat; set -- $stat; [ $((${{14}} + ${{15}})) -lt {BURN_SECONDS * 100} ]; do :; done
echo "burnt {BURN_SECONDS} CPU-seconds"
exec sleep 3600
"""


def usage(platform, app: str) -> dict:
    status, body = platform.api("GET", f"/api/apps/{app}/usage")
    assert status == 200, body
    return body


def after_samples(platform, app: str, count: int = 2) -> dict:
    """The app's usage once the sampler has metered `count` more passes (web runs throughout)."""
    seen = usage(platform, app)["process_types"]["web"]["container_seconds"]
    for _ in range(count):
        seen = platform.wait_for(
            "a metering pass", lambda: (now := usage(platform, app))["process_types"]["web"]["container_seconds"] > seen
            and now["process_types"]["web"]["container_seconds"], timeout=60)
    return usage(platform, app)


def test_a_burning_worker_shows_its_cpu_seconds_and_a_type_at_zero_and_a_stopped_one_cost_nothing(platform, tmp_path):
    app = platform.new_app()
    source = SourceTree(tmp_path / "burner").write({
        "Dockerfile": f"FROM {BASE_IMAGE}\nRUN mkdir -p /www && echo hi > /www/index.html\nCOPY burn.sh /burn.sh\n"
                      "CMD exec httpd -f -p $PORT -h /www\n",
        "burn.sh": BURN,
        "Procfile": "web: exec httpd -f -p $PORT -h /www\nworker: sh /burn.sh\nidle: exec sleep 3600\n",
    })
    source.commit("burner")
    push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output
    status, body = platform.api("PATCH", f"/api/apps/{app}/formation", [
        {"type": "worker", "quantity": 1}, {"type": "idle", "quantity": 0}])
    assert status == 200, body

    platform.wait_for("the worker to burn its CPU time",
                      lambda: usage(platform, app)["process_types"]["worker"]["cpu_seconds"] >= 0.9 * BURN_SECONDS,
                      timeout=180)
    cpu = [usage(platform, app)["process_types"]["worker"]["cpu_seconds"]]

    def loop_over() -> bool:
        # It idles after BURN_SECONDS: then two passes add no CPU time.
        cpu.append(after_samples(platform, app)["process_types"]["worker"]["cpu_seconds"])
        return cpu[-1] - cpu[-2] < 0.1

    platform.wait_for("the worker to finish its loop", loop_over, timeout=120)

    status, body = platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "worker", "quantity": 0}])
    assert status == 200, body
    platform.wait_for("the worker to stop", lambda: not platform.containers(app, process_type="worker"), timeout=60)
    # Two passes more for a reading taken while it was stopping (written by a pass already under way).
    stopped = after_samples(platform, app, count=4)
    later = after_samples(platform, app, count=3)

    worker = stopped["process_types"]["worker"]
    assert worker["cpu_seconds"] == pytest.approx(BURN_SECONDS, rel=0.1)
    assert later["process_types"]["worker"] == worker  # stopped: nothing more
    assert later["process_types"]["idle"] == dict.fromkeys(worker, 0)
    assert later["process_types"]["web"]["cpu_seconds"] < 2
    assert worker["container_seconds"] >= worker["cpu_seconds"] * 0.9  # one thread: no more CPU than time
    assert worker["memory_reserved_gb_seconds"] > worker["memory_used_gb_seconds"] > 0
    assert later["totals"]["cpu_seconds"] == pytest.approx(sum(t["cpu_seconds"] for t in later["process_types"].values()))


def sampled_after(platform, app: str, moment: float) -> None:
    """Wait until the sampler has finished a pass that began after `moment` (unix seconds): the
    metrics sample of the window after the next one is stored after that pass's usage is written."""
    def done() -> bool:
        status, body = platform.api("GET", f"/api/apps/{app}/metrics?since={moment}")
        return status == 200 and sum(sample["t"] > moment for sample in body["samples"]) >= 2

    # The shared platform holds dozens of apps by now: on a loaded 2-core host a pass over all of
    # them can take most of the interval, and two are needed.
    platform.wait_for("the sampler's passes", done, timeout=120)


def test_a_sleeping_web_costs_nothing_and_its_wake_counts_from_then_with_its_request(platform, tmp_path):
    app = deploy_site(platform, tmp_path / "site", "awake\n")
    status, body = platform.api("PATCH", f"/api/apps/{app}/formation",
                                [{"type": "web", "autoscale": {"min": 0, "max": 1, "idle_seconds": IDLE}}])
    assert status == 200, body
    platform.wait_for(f"{app} to sleep", lambda: platform.api("GET", f"/api/apps/{app}")[1]["sleeping"]
                      and not platform.containers(app, process_type="web"), timeout=60)
    sampled_after(platform, app, time.time())
    asleep = usage(platform, app)["process_types"]["web"]
    slept_from = time.time()
    sampled_after(platform, app, slept_from + 15)
    assert usage(platform, app)["process_types"]["web"] == asleep  # ~20 s asleep: nothing added

    assert platform.get(app) == (200, "awake\n")

    def metered():
        # A request each poll keeps it awake until a pass has read it: on the shared platform's
        # loaded host a pass can take longer than IDLE, and a run no pass reads is not metered.
        platform.get(app)
        web = usage(platform, app)["process_types"]["web"]
        return web["container_seconds"] > asleep["container_seconds"] and web["requests"] > asleep["requests"] and web

    woke = platform.wait_for("the woken web to be metered", metered, timeout=90)
    # At most the time since the pass before the wake, not the time asleep.
    assert woke["container_seconds"] - asleep["container_seconds"] < time.time() - slept_from - 5
    assert woke["requests"] - asleep["requests"] >= 1


def test_the_usage_pages_draw_their_chart_in_a_browser(page: Page, platform):
    app = platform.new_app()
    for path in (f"/apps/{app}/usage/", "/teams/default/usage/"):
        page.goto(f"{platform.web_url}{path}")
        expect(page.locator("#usage-chart")).to_have_attribute("data-drawn", "true")
        expect(page.locator("#usage-chart canvas")).to_have_count(1)
        expect(page.locator("#usage-chart .u-legend")).to_contain_text("vCPU-seconds")
