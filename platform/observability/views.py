"""`GET /api/apps/{app}/log-stream?lines=100&tail=true`: the log stream as plain text, for
terminals and scripts (Heroku's log sessions). With tail, the response stays open and streams
live lines (chunked) until the client goes away, or until the user may no longer view the app
or the token it was opened with is revoked (asked again every few seconds): then it ends."""
import asyncio
import json
import time
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.authentication import token_from_header, unauthenticated_reason, user_from_token_header
from accounts.services import token_digest
from paas.errors import error
from observability import access, publisher
from paas import logstream
from observability.consumers import DEFAULT_HISTORY
from observability.terminal_text import terminal_safe
from observability.viewer import Viewer

TRUE = {"1", "true", "yes", "on"}
FALSE = {"", "0", "false", "no", "off"}


class LineFilter:
    """Heroku's `--source` and `--dyno`: keep lines of one source and/or one process, as text
    that is safe to print on a terminal."""

    def __init__(self, source: str | None, process: str | None) -> None:
        self.source = source
        self.process = process

    def text(self, entries: list[dict]) -> str:
        kept = [
            logstream.Entry(**{**entry, "line": terminal_safe(entry["line"])}).as_text() + "\n"
            for entry in entries
            if (not self.source or entry["source"] == self.source) and (not self.process or entry["process"] == self.process)
        ]
        return "".join(kept)


def _missed_line(count: int) -> str:
    return f"{logstream.now_iso()} platform: Error L10 (output buffer overflow): {count} lines skipped because this stream fell behind\n"


def _ended_line() -> str:
    return f"{logstream.now_iso()} platform: This log stream has ended: you may no longer view this app\n"


async def _follow(grant: access.StreamGrant, lines: int, line_filter: LineFilter) -> AsyncIterator[str]:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = publisher.log_group(grant.app_id)
    await layer.group_add(group, channel)
    # One receive at a time, kept across the waits for the next access check: cancelling a
    # receive can lose the message it was taking.
    receiving = None
    try:
        entries, latest = await sync_to_async(logstream.recent)(grant.app_id, lines)
        viewer = Viewer(latest)
        yield line_filter.text([entry.as_json() for entry in entries])
        recheck_at = time.monotonic() + access.RECHECK_SECONDS
        while True:
            receiving = receiving or asyncio.ensure_future(layer.receive(channel))
            await asyncio.wait({receiving}, timeout=max(0.0, recheck_at - time.monotonic()))
            if time.monotonic() >= recheck_at:
                if await database_sync_to_async(access.access_revoked)(grant) is not None:
                    yield _ended_line()
                    return
                recheck_at = time.monotonic() + access.RECHECK_SECONDS
            if not receiving.done():
                continue
            message, receiving = receiving.result(), None
            if message.get("type") != "log.batch":
                continue
            missed, fresh = viewer.take(message["first"], message["last"], message["lines"])
            if missed is not None:
                yield _missed_line(missed.count)
            if fresh is not None:
                text = line_filter.text(json.loads(fresh))
                if text:
                    yield text
    finally:
        if receiving is not None:
            receiving.cancel()
        await layer.group_discard(group, channel)


@csrf_exempt  # token-authenticated, like the rest of the API
async def log_stream(request: HttpRequest, app_name: str) -> HttpResponse:
    if request.method != "GET":
        return error(405, f"{request.method} is not allowed here; use GET")
    user = await sync_to_async(user_from_token_header)(request)
    app = await sync_to_async(access.viewable_app)(user, app_name)
    if app == 4401:
        response = error(401, unauthenticated_reason(request))
        response["WWW-Authenticate"] = 'Bearer realm="paas"'
        return response
    if isinstance(app, int):
        return error(app - 4000, f"app '{app_name}' not found" if app == 4404 else f"you may not view the logs of '{app_name}'")
    tail = request.GET.get("tail", "false").lower()
    if tail not in TRUE | FALSE:
        return error(400, '"tail" must be true or false')
    source = request.GET.get("source") or None
    if source is not None and source not in logstream.SOURCES:
        return error(400, f'"source" must be one of {", ".join(logstream.SOURCES)}')
    line_filter = LineFilter(source, request.GET.get("process") or None)
    try:
        lines = logstream.history_size(request.GET.get("lines"), DEFAULT_HISTORY)
    except ValueError:
        return error(400, '"lines" must be a number of lines, e.g. 100')
    if tail in FALSE:
        entries, _ = await sync_to_async(logstream.recent)(app.pk, lines)
        return HttpResponse(line_filter.text([e.as_json() for e in entries]), content_type="text/plain; charset=utf-8")
    grant = access.StreamGrant(user.pk, app.pk, token_digest(token_from_header(request.headers.get("Authorization", ""))))
    response = StreamingHttpResponse(_follow(grant, lines, line_filter), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy in front must pass lines on as they come
    return response


log_stream.allowed_methods = ("GET",)  # read by the access table test
