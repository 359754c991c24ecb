"""Autoscaling on the real engine, router and autoscaler: a load step adds web processes up to
the rule's max with no failed request, and they go back to its min when the load is gone."""
import re

import pytest

from tests.support import BASE_IMAGE, Load, SourceTree

pytestmark = pytest.mark.e2e

SLOW_CGI = '#!/bin/sh\nusleep 50000\nprintf "Content-Type: text/plain\\r\\n\\r\\nslow\\n"\n'


def slow_app(platform, path) -> str:
    """busybox httpd whose /cgi-bin/slow takes about 50 ms a request."""
    app = platform.new_app()
    source = SourceTree(path)
    source.write({
        "Dockerfile": f"FROM {BASE_IMAGE}\nCOPY www /www\nRUN chmod +x /www/cgi-bin/slow\nCMD exec httpd -f -p $PORT -h /www\n",
        "www/index.html": "ok\n",
        "www/cgi-bin/slow": SLOW_CGI,
    }).commit()
    push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output
    return app


def test_a_load_step_scales_web_up_to_max_and_back_to_min_with_no_failed_request(platform, tmp_path):
    app = slow_app(platform, tmp_path / "src")
    rule = {"min": 1, "max": 3, "concurrency": 4}
    status, body = platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "web", "autoscale": rule}])
    assert status == 200, body

    clients = [Load(platform, app, "slow\n", path="/cgi-bin/slow") for _ in range(16)]
    for client in clients:
        client.start()
    try:
        platform.wait_for("web to scale to 3", lambda: len(platform.containers(app, process_type="web")) == 3, timeout=40)
        served = sum(client.sent for client in clients)
        platform.wait_for("the new processes to serve", lambda: sum(c.sent for c in clients) > served + 200, timeout=20)
    finally:
        for client in clients:
            client.finish()
    assert sum(client.sent for client in clients) > 300
    assert [failure for client in clients for failure in client.failures] == []

    def back_to_min() -> bool:
        formation = platform.api("GET", f"/api/apps/{app}/formation")[1]
        web = next(row for row in formation if row["type"] == "web")["quantity"]
        return web == 1 and len(platform.containers(app, process_type="web")) == 1

    platform.wait_for("web to go back to 1", back_to_min, timeout=40)
    log = platform.log_text(app, lines=1000)
    # One step to 3, or two (1 to 2 to 3) when a loaded host's clients ramp up slower than a window.
    assert re.search(r"Scaled web from 1 to [23]: [0-9.]+ requests in flight for 1 containers > 4 each", log), log
    assert re.search(r"Scaled web from [12] to 3: ", log), log
    assert "Scaled web from 3 to 1: " in log or "Scaled web from 2 to 1: " in log
    activity = platform.api("GET", f"/api/apps/{app}/activity")[1]
    assert any(re.match(r"Scaled web from [12] to 3", entry["text"]) and entry["actor"] is None for entry in activity), activity
