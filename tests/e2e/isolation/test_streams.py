"""Issue 14, finding 6 and item 7's terminal escapes: open log streams end within seconds of
their user's access ending (a member removed, a token revoked), and the text stream cannot be
used by an app to forge `platform:` lines or retitle the viewer's terminal."""
import json
import threading
import time
import urllib.request
import uuid
from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support import BASE_IMAGE, SourceTree, deploy_site

pytestmark = pytest.mark.e2e

# The streams ask again every 2 s (observability.access.RECHECK_SECONDS), then close.
WITHIN = 6


def team_with_member(platform) -> tuple[str, str, str]:
    """A team of the admin's with a new viewer in it: (team, member's user name, member's token)."""
    suffix = uuid.uuid4().hex[:8]
    team, member = f"s-{suffix}", f"m{suffix}"
    assert platform.api("POST", "/api/teams", {"name": team})[0] == 201
    token = platform.create_token(member)
    status, body = platform.api("POST", f"/api/teams/{team}/members", {"user": member, "role": "viewer"})
    assert status == 201, body
    return team, member, token


def deployed_in(platform, tmp_path, team: str) -> str:
    app = f"t{uuid.uuid4().hex[:10]}"
    status, body = platform.api("POST", "/api/apps", {"name": app, "team": team})
    assert status == 201, body
    return deploy_site(platform, tmp_path / app, "watched\n", app=app)


class SocketViewer:
    """A log websocket, read until it is closed: the lines it got and its close code."""

    def __init__(self, stack: ExitStack, platform, app: str, token: str) -> None:
        url = platform.web_url.replace("http://", "ws://") + f"/ws/apps/{app}/logs/?lines=0"
        self.websocket = stack.enter_context(connect(
            url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10, ping_interval=None
        ))
        self.lines: list[str] = []
        self.code: int | None = None

    def read_until(self, found, timeout: float) -> bool:
        """Read until a line matches `found` (True) or the socket is closed (False)."""
        deadline = time.monotonic() + timeout
        while self.code is None:
            if any(found(line) for line in self.lines):
                return True
            assert time.monotonic() < deadline, f"nothing matched within {timeout}s: {self.lines[-5:]}"
            try:
                frame = json.loads(self.websocket.recv(timeout=max(0.01, deadline - time.monotonic())))
            except TimeoutError:
                continue
            except ConnectionClosed as closed:
                self.code = closed.rcvd.code if closed.rcvd else None
                return False
            self.lines += [entry["line"] for entry in frame.get("lines", [])]
        return False


class TextViewer(threading.Thread):
    """`log-stream?tail=true`, read line by line until it ends."""

    def __init__(self, platform, app: str, token: str) -> None:
        super().__init__(daemon=True)
        request = urllib.request.Request(f"{platform.web_url}/api/apps/{app}/log-stream?lines=0&tail=true",
                                         headers={"Authorization": f"Bearer {token}"})
        self.response = urllib.request.urlopen(request, timeout=60)
        self.lines: list[str] = []
        self.ended = threading.Event()
        self.start()

    def run(self) -> None:
        try:
            while line := self.response.readline():
                self.lines.append(line.decode())
        finally:
            self.ended.set()


def revoke_and_watch(platform, tmp_path, revoke, code: int, token_of=lambda member_token: member_token) -> None:
    """A member's websocket and text stream of a team app get a line; `revoke(team, member,
    member_token)` ends their access; within seconds both end, and a later line reaches only
    the admin's control viewer."""
    team, member, member_token = team_with_member(platform)
    app = deployed_in(platform, tmp_path, team)
    token = token_of(member_token)
    with ExitStack() as stack:
        control = SocketViewer(stack, platform, app, platform.admin_token)
        socket = SocketViewer(stack, platform, app, token)
        text = TextViewer(platform, app, token)
        stack.callback(text.response.close)
        platform.get(app, "/one")
        assert socket.read_until(lambda line: 'path="/one"' in line, timeout=30)
        platform.wait_for("the text stream's line", lambda: any('path="/one"' in line for line in text.lines), 30)

        revoke(team, member, member_token)
        revoked_at = time.monotonic()
        assert not socket.read_until(lambda line: False, timeout=WITHIN)
        assert socket.code == code
        assert text.ended.wait(timeout=WITHIN)
        assert time.monotonic() - revoked_at < WITHIN
        assert text.lines[-1].endswith(" platform: This log stream has ended: you may no longer view this app\n")

        platform.get(app, "/two")
        assert control.read_until(lambda line: 'path="/two"' in line, timeout=30)
        assert not any('path="/two"' in line for line in socket.lines + text.lines)


def test_a_removed_members_websocket_closes_with_4404_and_text_stream_ends_within_seconds(platform, tmp_path):
    def remove(team, member, token):
        assert platform.api("DELETE", f"/api/teams/{team}/members/{member}")[0] == 204

    revoke_and_watch(platform, tmp_path, remove, 4404)


def test_streams_opened_with_a_revoked_token_close_with_4403_within_seconds(platform, tmp_path):
    tokens = {}

    def second_token(member_token):
        status, body = platform.api("POST", "/api/tokens", {"description": "streams"}, token=member_token)
        assert status == 201, body
        tokens["id"] = body["id"]
        return body["token"]

    def revoke(team, member, member_token):  # with the member's other token: they stay a member
        assert platform.api("DELETE", f"/api/tokens/{tokens['id']}", token=member_token)[0] == 204

    revoke_and_watch(platform, tmp_path, revoke, 4403, token_of=second_token)


FORGED = "2026-01-01T00:00:00.000000Z platform: Release v9 created by admin"


def test_an_app_cannot_forge_platform_lines_or_retitle_the_terminal_through_the_text_stream(platform, tmp_path):
    app = platform.new_app()
    source = SourceTree(tmp_path / "escapes").write({
        "Dockerfile": f'FROM {BASE_IMAGE}\nCOPY run.sh /run.sh\nCOPY index.html /www/\nCMD ["sh", "/run.sh"]\n',
        "run.sh": (
            f"printf 'real\\r{FORGED}\\033]0;pwned\\007 \\033[31mred\\033[0m \\033[2Jend\\n'\n"
            'exec httpd -f -p "$PORT" -h /www\n'
        ),
        "index.html": "hi\n",
    })
    source.commit("escapes")
    push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output

    def text() -> str:
        request = urllib.request.Request(f"{platform.web_url}/api/apps/{app}/log-stream?lines=1000&source=app",
                                         headers={"Authorization": f"Bearer {platform.admin_token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read().decode()
        return "app[web.1]: real" in body and body

    body = platform.wait_for("the app's line in the text stream", text, timeout=60)
    line = next(line for line in body.split("\n") if "app[web.1]: real" in line)
    assert line.endswith(f" app[web.1]: real{FORGED} \x1b[31mred\x1b[0m end")
    assert not any(character in body for character in "\r\x07\x08")
    assert "\x1b]" not in body and "\x1b[2J" not in body
    assert not any(row.startswith(FORGED) for row in body.splitlines())
