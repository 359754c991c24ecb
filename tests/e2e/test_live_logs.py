"""Live logs end to end: a real container's lines, the router's access lines, build output and
platform events reach real websocket and HTTP viewers through the shipper, Redis and Channels."""
import json
import socket
import time
import urllib.request

import pytest
from websockets.sync.client import connect

from tests.support import BASE_IMAGE, SourceTree

pytestmark = pytest.mark.e2e


def chatty_site(procfile: str | None = None) -> dict[str, str]:
    files = {
        "Dockerfile": (
            f"FROM {BASE_IMAGE}\nRUN mkdir -p /www && echo hi > /www/index.html\n"
            'CMD echo "hello from $DYNO" && exec httpd -f -p $PORT -h /www\n'
        ),
    }
    if procfile:
        files["Procfile"] = procfile
    return files


def deploy(platform, tmp_path, files) -> str:
    app = platform.new_app()
    source = SourceTree(tmp_path / app).write(files)
    source.commit("first")
    push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output
    return app


def open_logs(platform, app: str, *, lines: int = 1000, sock=None, max_queue=16):
    url = platform.web_url.replace("http://", "ws://") + f"/ws/apps/{app}/logs/?lines={lines}"
    # No keepalive pings from the client: a viewer that stops reading could not see the pongs.
    return connect(url, additional_headers={"Authorization": f"Bearer {platform.admin_token}"},
                   sock=sock, max_queue=max_queue, open_timeout=10, ping_interval=None)


class Reader:
    """Everything one websocket viewer was sent: lines by sequence number, and missed counts."""

    def __init__(self, websocket) -> None:
        self.websocket = websocket
        self.entries: list[dict] = []
        self.missed: list[int] = []

    def read(self, timeout: float) -> None:
        frame = json.loads(self.websocket.recv(timeout=timeout))
        if frame["type"] == "missed":
            self.missed.append(frame["count"])
        else:
            self.entries += frame["lines"]

    def until(self, what: str, found, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        scanned = 0  # each entry is looked at once: a rescan per frame would make this reader the slow one
        while True:
            hit = next((entry for entry in self.entries[scanned:] if found(entry)), None)
            if hit is not None:
                return hit
            scanned = len(self.entries)
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {what} within {timeout}s; last lines: {self.entries[-5:]}"
            try:
                self.read(timeout=remaining)
            except TimeoutError:
                pass


def test_one_stream_carries_build_platform_app_and_router_lines(platform, tmp_path):
    app = platform.new_app()
    with open_logs(platform, app) as websocket:
        viewer = Reader(websocket)
        viewer.read(timeout=10)  # the (empty) history
        source = SourceTree(tmp_path / "src").write(chatty_site())
        source.commit("first")
        push = source.push(platform.git_url(app))
        assert push.returncode == 0, push.output
        assert platform.get(app, "/hello")[0] == 404

        viewer.until("build line", lambda e: e["source"] == "build" and "Building" in e["line"])
        viewer.until("release event", lambda e: e["source"] == "platform" and e["line"].startswith("Release v1 created by admin"))
        viewer.until("live event", lambda e: e["source"] == "platform" and e["line"] == "Release v1 is live")
        viewer.until("app line", lambda e: (e["source"], e["process"], e["line"]) == ("app", "web.1", "hello from web.1"))
        router = viewer.until("router line", lambda e: e["source"] == "router" and 'path="/hello"' in e["line"])
        assert "method=GET" in router["line"] and "status=404" in router["line"]

    numbers = [entry["n"] for entry in viewer.entries]
    assert numbers == sorted(set(numbers)), "lines repeated or out of order"
    assert viewer.missed == []


def test_the_http_log_stream_sends_history_then_follows(platform, tmp_path):
    app = deploy(platform, tmp_path, chatty_site())
    request = urllib.request.Request(
        f"{platform.web_url}/api/apps/{app}/log-stream?lines=1000&tail=true",
        headers={"Authorization": f"Bearer {platform.admin_token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        seen = []

        def read_until(text: str) -> None:
            while not any(text in line for line in seen):
                seen.append(response.readline().decode())

        read_until("Release v1 is live")  # history
        platform.get(app, "/followed")
        read_until('path="/followed"')  # live
    assert any(" router: at=info method=GET path=\"/followed\"" in line for line in seen)


# 30,000 numbered lines of 1 KB, 100 every 20 ms: about 4,500 lines (4.5 MB) a second for 7 s,
# a pace every viewer that reads keeps up with on a busy two-core machine, and far more than the
# kernel's socket buffers and the viewer's backlog can hold for one that reads nothing.
BURST_LINES = 30_000
BURST_SCRIPT = f"""awk 'BEGIN {{
    pad = sprintf("%1000s", ""); gsub(/ /, "x", pad)
    for (i = 1; i <= {BURST_LINES}; i++) {{
        print i, pad
        if (i % 100 == 0) {{ fflush(); system("usleep 20000") }}
    }}
}}'
while :; do echo tick; sleep 1; done
"""


def test_a_slow_viewer_is_told_how_many_lines_it_missed_and_nobody_else_is_slowed(platform, tmp_path):
    files = chatty_site("web: sh -c 'echo hello from $DYNO && exec httpd -f -p $PORT -h /www'\nburst: sh /burst.sh\n")
    files["Dockerfile"] += "COPY burst.sh /burst.sh\n"
    files["burst.sh"] = BURST_SCRIPT
    app = deploy(platform, tmp_path, files)

    def burst_number(entry: dict) -> int | None:
        head = entry["line"].split(" ", 1)[0]
        return int(head) if entry["process"] == "burst.1" and head.isdigit() else None

    # The slow viewer reads nothing until the burst is over. A small receive buffer (which also
    # stops the kernel from growing it) and a client queue of one message make the server's
    # sends to it block, so its backlog in the channel layer overflows.
    slow_socket = socket.create_connection(("127.0.0.1", int(platform.web_url.rsplit(":", 1)[1])))
    slow_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    with open_logs(platform, app, lines=1) as fast_ws, open_logs(platform, app, lines=1, sock=slow_socket, max_queue=1) as slow_ws:
        fast, slow = Reader(fast_ws), Reader(slow_ws)
        fast.read(timeout=10)
        slow.read(timeout=10)
        status, body = platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "burst", "quantity": 1}])
        assert status == 200, body

        last = fast.until("the end of the burst", lambda e: burst_number(e) == BURST_LINES, timeout=120)
        first = next(e for e in fast.entries if burst_number(e) == 1)
        assert fast.missed == []
        assert [n for n in map(burst_number, fast.entries) if n is not None] == list(range(1, BURST_LINES + 1))

        slow.until("a line after the burst", lambda e: e["n"] > last["n"], timeout=120)

    fast_numbers = [e["n"] for e in fast.entries]
    slow_numbers = [e["n"] for e in slow.entries]
    assert fast_numbers == sorted(set(fast_numbers))
    assert slow_numbers == sorted(set(slow_numbers)), "the slow viewer got lines twice or out of order"
    assert slow.missed, "the slow viewer never fell behind: the test did not test anything"
    # Every line is accounted for: received, or counted in a missed notice.
    span = slow_numbers[-1] - slow_numbers[0] + 1
    assert len(slow_numbers) + sum(slow.missed) == span, (len(slow_numbers), sum(slow.missed), span)
    assert first["n"] < last["n"]
