"""The dashboard's live log and metrics pages in a real browser (Debian's Chromium driven by
Playwright) against the shared platform: lines arrive live, filters, search and pause work, ANSI
colours show, a burst of lines does not freeze the page, and the metrics charts draw and update."""
import re

import pytest
from playwright.sync_api import Page, expect

from tests.support import BASE_IMAGE, SourceTree

pytestmark = pytest.mark.e2e

BURST_LINES = 20_000
START = """#!/bin/sh
printf '\\033[31mred alert\\033[0m and plain\\n'
echo "hello from $DYNO"
exec httpd -f -p "$PORT" -h /www
"""


@pytest.fixture(scope="module")
def app(platform, tmp_path_factory) -> str:
    app = platform.new_app()
    source = SourceTree(tmp_path_factory.mktemp("dashboard-app")).write({
        "Dockerfile": f"FROM {BASE_IMAGE}\nRUN mkdir -p /www && echo hi > /www/index.html\nCOPY start.sh /start.sh\nCMD sh /start.sh\n",
        "start.sh": START,
        "Procfile": f"web: sh /start.sh\nburst: sh -c 'seq 1 {BURST_LINES}; exec sleep 3600'\n",
    })
    source.commit("live")
    push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output
    return app


def line(page: Page, text: str):
    return page.locator("#log-view .log-line", has_text=text)


def test_the_log_page_shows_history_then_live_lines_with_filters_search_pause_and_colours(page, platform, app):
    page.goto(f"{platform.web_url}/apps/{app}/logs/")

    expect(line(page, "hello from web.1")).to_have_count(1, timeout=20_000)  # history
    expect(page.locator("#log-status")).to_have_attribute("data-state", "live")
    red = line(page, "red alert").locator(".ansi-fg-1")
    expect(red).to_have_text("red alert")
    expect(line(page, "red alert")).not_to_contain_text("\x1b")

    platform.get(app, "/seen-live")
    expect(line(page, 'path="/seen-live"')).to_have_count(1, timeout=15_000)
    expect(line(page, 'path="/seen-live"').locator(".log-tag")).to_have_text("router")

    page.locator("#log-sources input[value=router]").uncheck()
    expect(line(page, 'path="/seen-live"')).to_have_count(0)
    expect(line(page, "hello from web.1")).to_have_count(1)
    page.locator("#log-sources input[value=router]").check()
    expect(line(page, 'path="/seen-live"')).to_have_count(1)

    page.fill("#log-search", "hello from")
    expect(page.locator("#log-view .log-line")).to_have_count(1)
    page.fill("#log-search", "")
    expect(line(page, 'path="/seen-live"')).to_have_count(1)

    page.click("#log-pause")
    platform.get(app, "/while-paused")
    expect(page.locator("#log-pause")).to_contain_text("new)", timeout=15_000)
    expect(line(page, 'path="/while-paused"')).to_have_count(0)
    page.click("#log-pause")
    expect(line(page, 'path="/while-paused"')).to_have_count(1)


def test_a_burst_of_lines_never_holds_the_page_for_long_and_its_rows_stay_capped(page, platform, app):
    page.goto(f"{platform.web_url}/apps/{app}/logs/?lines=0")
    expect(page.locator("#log-status")).to_have_attribute("data-state", "live", timeout=20_000)
    # The page's own long tasks: a page whose script freezes it holds the main thread for
    # seconds. Not the gaps between animation frames: on a busy 2-core machine the compositor
    # alone left gaps of 2-3 s while no task of the page took over 0.2 s.
    page.evaluate("""() => {
        window.longTasks = [];
        new PerformanceObserver((list) => {
            for (const entry of list.getEntries()) window.longTasks.push(entry.duration);
        }).observe({entryTypes: ["longtask"]});
    }""")

    status, body = platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "burst", "quantity": 1}])
    assert status == 200, body
    try:
        burst_rows = page.locator("#log-view .log-line", has=page.locator(".log-tag", has_text="app[burst.1]"))
        expect(burst_rows.last).to_have_text(re.compile(rf"burst\.1\]{BURST_LINES}$"), timeout=60_000)
    finally:
        platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "burst", "quantity": 0}])

    cap = int(page.locator("#log-view").get_attribute("data-dom-cap"))
    assert int(page.locator("#log-view").get_attribute("data-line-count")) <= cap
    assert page.locator("#log-view .log-line").count() <= cap
    longest = page.evaluate("() => Math.max(0, ...window.longTasks)")
    assert longest < 1000, f"the page's script held it for {longest:.0f} ms during the burst"


def test_the_metrics_page_draws_charts_and_updates_them_live(page, platform, app):
    page.goto(f"{platform.web_url}/apps/{app}/metrics/")
    platform.get(app, "/counted")

    expect(page.locator("#metrics-processes td").first).to_have_text("web.1", timeout=30_000)
    for chart in ("cpu", "memory", "rps", "status", "latency"):
        expect(page.locator(f"#chart-{chart} canvas")).to_have_count(1)
    seen = int(page.locator("#metrics").get_attribute("data-sample-count"))
    expect(page.locator("#metrics")).not_to_have_attribute("data-sample-count", str(seen), timeout=20_000)
    assert page.locator("#metrics-status").get_attribute("data-state") == "live"
