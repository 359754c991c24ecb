"""Scale to zero on the real engine, router, activator and autoscaler: an idle app sleeps, the
next requests are held and answered by the woken app, and a wake that cannot succeed answers
503 with its reason and leaves nothing running."""
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import BASE_IMAGE, SourceTree

pytestmark = pytest.mark.e2e

IDLE = 2


def _sleepy(platform, app: str) -> None:
    status, body = platform.api(
        "PATCH", f"/api/apps/{app}/formation", [{"type": "web", "autoscale": {"min": 0, "max": 2, "idle_seconds": IDLE}}]
    )
    assert status == 200, body


def _asleep(platform, app: str) -> bool:
    status, body = platform.api("GET", f"/api/apps/{app}")
    return status == 200 and body["sleeping"] and not platform.containers(app, process_type="web")


def _pushed(platform, tmp_path, files: dict[str, str]) -> str:
    app = platform.new_app()
    source = SourceTree(tmp_path / "src")
    source.write(files).commit()
    push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output
    return app


def test_an_idle_app_sleeps_and_concurrent_requests_wake_it_every_time(platform, tmp_path):
    app = _pushed(platform, tmp_path, {
        "Dockerfile": f"FROM {BASE_IMAGE}\nCOPY index.html /www/\nCMD exec httpd -f -p $PORT -h /www\n",
        "index.html": "awake\n",
    })
    _sleepy(platform, app)
    answers, wakes = [], []
    for cycle in range(3):
        platform.wait_for(f"{app} to sleep (cycle {cycle})", lambda: _asleep(platform, app), timeout=IDLE + 30)
        overview = platform.api("GET", f"/api/apps/{app}/dynos")[1]
        assert [dyno["state"] for dyno in overview if dyno["type"] == "web"] == ["sleeping"]
        started = time.monotonic()
        with ThreadPoolExecutor(4) as clients:
            answers += list(clients.map(lambda _: platform.get(app), range(4)))
        wakes.append(time.monotonic() - started)
        assert len(platform.containers(app, process_type="web")) == 1  # one wake for the four requests
    assert answers == [(200, "awake\n")] * 12, answers
    assert max(wakes) < 10, wakes
    log = platform.log_text(app, lines=500)
    assert log.count("the next request wakes it") >= 3
    assert log.count("Woke web.1 of v1 in ") >= 3
    status, activity = platform.api("GET", f"/api/apps/{app}/activity")
    assert any(entry["text"].startswith("Slept: no request for") for entry in activity), activity


def test_a_wake_that_cannot_succeed_answers_503_with_the_reason_and_leaves_nothing_running(platform, tmp_path):
    # Serves once; started again (a wake starts the same container), it exits.
    app = _pushed(platform, tmp_path, {
        "Dockerfile": (
            f"FROM {BASE_IMAGE}\nCOPY index.html /www/\n"
            'CMD if [ -e /started ]; then echo "refusing a second start" >&2; exit 3; fi; '
            "touch /started; exec httpd -f -p $PORT -h /www\n"
        ),
        "index.html": "once\n",
    })
    assert platform.get(app) == (200, "once\n")
    _sleepy(platform, app)
    platform.wait_for(f"{app} to sleep", lambda: _asleep(platform, app), timeout=IDLE + 30)

    started = time.monotonic()
    with ThreadPoolExecutor(2) as clients:
        answers = list(clients.map(lambda _: platform.get(app), range(2)))
    waited = time.monotonic() - started
    deadline = 40 * 0.25 + 2  # PAAS_CHECK_ATTEMPTS x PAAS_CHECK_INTERVAL, and one attempt's timeout
    assert waited < deadline + 3, waited
    for status, text in answers:
        assert status == 503
        assert f"{app}.localhost is asleep and could not be woken: web.1 exited before answering" in text
    assert not platform.containers(app, process_type="web")
    assert platform.api("GET", f"/api/apps/{app}")[1]["sleeping"]
    assert "Wake failed (a request came in): web.1 exited before answering" in platform.log_text(app)
    assert "refusing a second start" in platform.log_text(app)

    # Its container and image gone behind the platform's back: a new one cannot be made either.
    time.sleep(5)  # PAAS_WAKE_RETRY_SECONDS: until then the same 503 comes at once
    label = ["--filter", f"label=io.paas.instance={platform.instance}", "--filter", f"label=io.paas.app={app}"]
    ids = subprocess.run(["docker", "ps", "-aq", *label], capture_output=True, text=True, check=True).stdout.split()
    subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, check=True)
    image = platform.release(app, 1)["image"]
    subprocess.run(["docker", "rmi", "-f", image], capture_output=True, check=True)
    status, text = platform.get(app)
    assert status == 503 and f"image {image} is not on this host" in text
    assert not platform.containers(app)


def test_a_connection_made_to_the_activator_itself_names_no_app_and_is_closed(platform):
    """Only a sleeping app's endpoint, sent there by the router's rules, names an app; a local
    client connecting to the activator's port directly wakes nothing and is answered nothing."""
    import socket

    port = int(platform.env["PAAS_ROUTE_PORT_BASE"]) + 1
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: anything.localhost\r\n\r\n")
        try:
            answer = client.recv(1024)
        except ConnectionResetError:  # closed with the request unread
            answer = b""
        assert answer == b""  # closed, with no answer
