"""A live viewer stays connected: a metrics or log websocket with nothing to show for minutes
is not dropped (the channel layer's wait for a message and the Redis client's read timeout
were both 5 s, and raced)."""
import time
from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

pytestmark = pytest.mark.e2e

HOLD_SECONDS = 120


def _viewer(platform, app: str, stream: str):
    url = platform.web_url.replace("http://", "ws://") + f"/ws/apps/{app}/{stream}/"
    return connect(url, additional_headers={"Authorization": f"Bearer {platform.admin_token}"},
                   open_timeout=10, ping_interval=None)


def test_idle_metrics_and_log_viewers_stay_connected_for_minutes(platform):
    app = platform.new_app()  # no release: nothing to send, so every wait for a message runs out
    with ExitStack() as stack:
        viewers = {stream: stack.enter_context(_viewer(platform, app, stream)) for stream in ("metrics", "logs")}
        started = time.monotonic()
        while time.monotonic() - started < HOLD_SECONDS:
            for stream, viewer in viewers.items():
                try:
                    viewer.recv(timeout=1)
                except TimeoutError:
                    pass  # nothing sent: still connected
                except ConnectionClosed as closed:
                    pytest.fail(f"the {stream} websocket was closed after {time.monotonic() - started:.1f}s: {closed}")
    print(f"\nmetrics and log viewers held {HOLD_SECONDS}s without a drop")
