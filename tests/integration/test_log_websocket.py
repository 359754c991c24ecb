"""The log and metrics websockets over a real Redis channel layer, with the real relay."""
import json
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.contrib.auth import get_user_model

from applications.models import App
from observability import publisher
from paas import logstream
from paas.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def app(log_app) -> App:
    return log_app


def say(app: App, *texts: str) -> None:
    logstream.append(app.pk, [logstream.Line(logstream.now_iso(), "app", "web.1", text) for text in texts])


def connect(path: str, headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=headers)


def login(client, username: str) -> None:
    client.force_login(get_user_model().objects.get(username=username))


def bearer(members, username: str) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Bearer {members.tokens[username]}".encode())]


async def test_a_viewer_gets_the_history_then_live_lines_in_order(members, app, running_relay):
    await sync_to_async(say)(app, "one", "two", "three")
    socket = connect(f"/ws/apps/{app.name}/logs/?lines=2", bearer(members, "viewer"))
    connected, _ = await socket.connect()
    assert connected

    history = await socket.receive_json_from(timeout=5)
    assert history["type"] == "history"
    assert [(e["n"], e["line"], e["source"], e["process"]) for e in history["lines"]] == [
        (2, "two", "app", "web.1"), (3, "three", "app", "web.1")
    ]

    await sync_to_async(say)(app, "four", "five")
    live = []
    while len(live) < 2:
        frame = await socket.receive_json_from(timeout=5)
        assert frame["type"] == "lines"
        live += frame["lines"]
    assert [(e["n"], e["line"]) for e in live] == [(4, "four"), (5, "five")]
    await socket.disconnect()


async def test_a_viewer_that_fell_behind_is_told_how_many_lines_it_missed(members, app):
    await sync_to_async(say)(app, "one")
    socket = connect(f"/ws/apps/{app.name}/logs/", bearer(members, "viewer"))
    await socket.connect()
    await socket.receive_json_from(timeout=5)  # history: line 1

    # As the channel layer does for a full viewer: lines 2..6 never reach it, 7..8 do.
    lines = json.dumps([{"n": 7, "line": "seven"}, {"n": 8, "line": "eight"}])
    await publisher.publish_log_batch(app.pk, first=7, last=8, lines_json=lines)

    assert await socket.receive_json_from(timeout=5) == {"type": "missed", "count": 5}
    frame = await socket.receive_json_from(timeout=5)
    assert [e["n"] for e in frame["lines"]] == [7, 8]
    await socket.disconnect()


async def test_a_browser_session_from_the_dashboards_own_origin_is_accepted(members, app, client):
    await sync_to_async(login)(client, "viewer")
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    headers = [(b"cookie", cookie), (b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    socket = connect(f"/ws/apps/{app.name}/logs/", headers)
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from(timeout=5))["type"] == "history"
    await socket.disconnect()


async def test_a_session_cookie_sent_from_another_site_is_refused_at_the_handshake(members, app, client):
    await sync_to_async(login)(client, "viewer")
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    headers = [(b"cookie", cookie), (b"origin", b"http://evil.example"), (b"host", b"127.0.0.1:8000")]
    socket = connect(f"/ws/apps/{app.name}/logs/", headers)
    connected, code = await socket.connect()
    assert not connected
    await socket.disconnect()  # ends the consumer: a refused one left running hung the loop's close


@pytest.mark.parametrize(
    "who, path, code",
    [
        ("outsider", "/ws/apps/shop/logs/", 4404),
        ("viewer", "/ws/apps/nosuchapp/logs/", 4404),
        (None, "/ws/apps/shop/logs/", 4401),
        ("bad-token", "/ws/apps/shop/logs/", 4401),
        ("outsider", "/ws/apps/shop/metrics/", 4404),
        (None, "/ws/apps/shop/metrics/", 4401),
    ],
)
async def test_no_access_closes_the_socket_without_sending_any_data(members, app, who, path, code):
    if who is None:
        headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    elif who == "bad-token":
        headers = [(b"authorization", b"Bearer not-a-token")]
    else:
        headers = bearer(members, who)
    await sync_to_async(say)(app, "secret line")
    socket = connect(path, headers)
    connected, _ = await socket.connect()
    assert connected
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": code}
    await socket.disconnect()  # ends the consumer: one left running hung the loop's close


async def test_an_unknown_websocket_path_is_refused(members):
    socket = connect("/ws/nothing/here/", bearer(members, "viewer"))
    connected, _ = await socket.connect()
    assert not connected
    await socket.disconnect()


async def test_metrics_viewers_get_recent_samples_then_live_ones(members, app):
    from observability import metrics_store

    await sync_to_async(metrics_store.store)(app.pk, {"t": time.time() - 10, "processes": {}, "router": {}})
    socket = connect(f"/ws/apps/{app.name}/metrics/", bearer(members, "viewer"))
    connected, _ = await socket.connect()
    assert connected
    history = await socket.receive_json_from(timeout=5)
    assert history["type"] == "history" and len(history["samples"]) == 1

    sample = {"t": time.time(), "processes": {"web.1": {"cpu": 1.5}}, "router": {}}
    await publisher.publish_metrics_sample(app.pk, sample)
    assert await socket.receive_json_from(timeout=5) == {"type": "sample", "sample": sample}
    await socket.disconnect()
