"""Open log and metrics streams end when their user's access does (issue 14, finding 6): the
websockets close with 4404 or 4403 and the HTTP text stream ends, within a recheck interval,
and nothing published after that reaches them. Real Redis channel layer and relay."""
import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.contrib.auth import get_user_model

from accounts import teams
from accounts.models import ApiToken, Membership, Role
from accounts.services import token_digest, token_revoke
from applications.models import App
from observability import access, publisher
from paas import logstream
from paas.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

RECHECK = 0.2


@pytest.fixture(autouse=True)
def quick_rechecks(monkeypatch):
    monkeypatch.setattr(access, "RECHECK_SECONDS", RECHECK)


@pytest.fixture
def app(log_app) -> App:
    return log_app


def say(app: App, text: str) -> None:
    logstream.append(app.pk, [logstream.Line(logstream.now_iso(), "app", "web.1", text)])


def remove_member(members, username: str) -> None:
    admin = get_user_model().objects.get(username="admin")
    teams.member_remove(actor=admin, team=members.team, username=username)


def revoke_token(members, username: str) -> None:
    token = ApiToken.objects.get(digest=token_digest(members.tokens[username]))
    token_revoke(user=token.user, token_id=token.pk)


REVOCATIONS = {"member removed": (remove_member, 4404), "token revoked": (revoke_token, 4403)}


async def open_socket(members, path: str, who: str = "viewer") -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, path, headers=[(b"authorization", f"Bearer {members.tokens[who]}".encode())])
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from(timeout=5))["type"] == "history"
    return socket


async def lines_until_closed(socket, timeout: float) -> tuple[list[str], int]:
    """The lines a socket is sent until it is closed, and its close code; fails after `timeout`."""
    lines, deadline = [], time.monotonic() + timeout
    while True:
        output = await socket.receive_output(timeout=max(0.01, deadline - time.monotonic()))
        if output["type"] == "websocket.close":
            return lines, output["code"]
        lines += [entry["line"] for entry in json.loads(output["text"]).get("lines", [])]


@pytest.mark.parametrize("revocation", REVOCATIONS)
async def test_a_log_websocket_closes_within_a_recheck_once_access_is_revoked_and_gets_nothing_after(
    members, app, running_relay, revocation
):
    revoke, code = REVOCATIONS[revocation]
    socket = await open_socket(members, f"/ws/apps/{app.name}/logs/")
    await sync_to_async(say)(app, "before")
    assert [e["line"] for e in (await socket.receive_json_from(timeout=5))["lines"]] == ["before"]

    revoked_at = time.monotonic()
    await sync_to_async(revoke)(members, "viewer")
    _, closed_with = await lines_until_closed(socket, timeout=5)

    assert closed_with == code
    assert time.monotonic() - revoked_at < RECHECK + 2
    await sync_to_async(say)(app, "after")
    await publisher.publish_log_batch(app.pk, first=99, last=99, lines_json='[{"n":99,"line":"after"}]')
    assert await socket.receive_nothing(timeout=1)
    await socket.disconnect()  # ends the consumer: one left running could hang the loop's close


async def test_a_metrics_websocket_closes_with_4404_once_its_member_is_removed(members, app):
    socket = await open_socket(members, f"/ws/apps/{app.name}/metrics/")
    await sync_to_async(remove_member)(members, "viewer")
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}
    await publisher.publish_metrics_sample(app.pk, {"t": time.time(), "processes": {}, "router": {}})
    assert await socket.receive_nothing(timeout=1)
    await socket.disconnect()


async def test_a_browser_sessions_log_websocket_closes_with_4403_when_it_logs_out(members, app, client):
    await sync_to_async(client.force_login)(await sync_to_async(get_user_model().objects.get)(username="viewer"))
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    headers = [(b"cookie", cookie), (b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    socket = WebsocketCommunicator(application, f"/ws/apps/{app.name}/logs/", headers=headers)
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from(timeout=5))["type"] == "history"
    await asyncio.sleep(RECHECK * 3)
    assert await socket.receive_nothing(timeout=0.1)  # the session is still good: the socket stays

    await sync_to_async(client.logout)()
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    await socket.disconnect()


async def test_a_member_who_keeps_access_keeps_the_stream_across_rechecks_and_a_role_change(members, app, running_relay):
    socket = await open_socket(members, f"/ws/apps/{app.name}/logs/")
    await sync_to_async(Membership.objects.filter(user__username="viewer").update)(role=Role.DEVELOPER)
    await asyncio.sleep(RECHECK * 5)
    await sync_to_async(say)(app, "still here")
    assert [e["line"] for e in (await socket.receive_json_from(timeout=5))["lines"]] == ["still here"]
    await socket.disconnect()


def text_of(chunk) -> str:
    return chunk.decode() if isinstance(chunk, bytes) else chunk


async def next_text(chunks, timeout: float = 5) -> str:
    chunk = await asyncio.wait_for(anext(chunks), timeout)
    return text_of(chunk)


async def rest_of(chunks) -> list[str]:
    return [text_of(chunk) async for chunk in chunks]


@pytest.mark.parametrize("revocation", REVOCATIONS)
async def test_the_http_tail_stream_ends_within_a_recheck_once_access_is_revoked(
    members, app, running_relay, async_client, revocation
):
    revoke, _ = REVOCATIONS[revocation]
    await sync_to_async(say)(app, "history line")
    response = await async_client.get(
        f"/api/apps/{app.name}/log-stream?tail=true", headers={"Authorization": f"Bearer {members.tokens['viewer']}"}
    )
    assert response.status_code == 200
    chunks = aiter(response.streaming_content)
    assert (await next_text(chunks)).endswith("app[web.1]: history line\n")
    await sync_to_async(say)(app, "live line")
    assert (await next_text(chunks)).endswith("app[web.1]: live line\n")

    revoked_at = time.monotonic()
    await sync_to_async(revoke)(members, "viewer")
    rest = await asyncio.wait_for(rest_of(chunks), timeout=5)  # the stream ends by itself

    assert time.monotonic() - revoked_at < RECHECK + 2
    assert rest == [rest[-1]] and rest[-1].endswith(
        " platform: This log stream has ended: you may no longer view this app\n"
    )
