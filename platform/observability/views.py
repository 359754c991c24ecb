"""`GET /api/apps/{app}/log-stream?lines=100&tail=true`: the log stream as plain text, for
terminals and scripts (Heroku's log sessions). With tail, the response stays open and streams
live lines (chunked) until the client goes away."""
import json
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.authentication import user_from_token_header
from api.http import error
from observability import logstream, publisher
from observability.access import viewable_app
from observability.consumers import DEFAULT_HISTORY
from observability.viewer import Viewer

TRUE = {"1", "true", "yes", "on"}
FALSE = {"", "0", "false", "no", "off"}


class LineFilter:
    """Heroku's `--source` and `--dyno`: keep lines of one source and/or one process."""

    def __init__(self, source: str | None, process: str | None) -> None:
        self.source = source
        self.process = process

    def text(self, entries: list[dict]) -> str:
        kept = [
            logstream.Entry(**entry).as_text() + "\n"
            for entry in entries
            if (not self.source or entry["source"] == self.source) and (not self.process or entry["process"] == self.process)
        ]
        return "".join(kept)


def _missed_line(count: int) -> str:
    return f"{logstream.now_iso()} platform: Error L10 (output buffer overflow): {count} lines skipped because this stream fell behind\n"


async def _follow(app_id: int, lines: int, line_filter: LineFilter) -> AsyncIterator[str]:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = publisher.log_group(app_id)
    await layer.group_add(group, channel)
    try:
        entries, latest = await sync_to_async(logstream.recent)(app_id, lines)
        viewer = Viewer(latest)
        yield line_filter.text([entry.as_json() for entry in entries])
        while True:
            message = await layer.receive(channel)
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
        await layer.group_discard(group, channel)


@csrf_exempt  # token-authenticated, like the rest of the API
async def log_stream(request: HttpRequest, app_name: str) -> HttpResponse:
    if request.method != "GET":
        return error(405, f"{request.method} is not allowed here; use GET")
    user = await sync_to_async(user_from_token_header)(request)
    app = await sync_to_async(viewable_app)(user, app_name)
    if app == 4401:
        response = error(401, "authentication required: send Authorization: Bearer <API token>")
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
    response = StreamingHttpResponse(_follow(app.pk, lines, line_filter), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy in front must pass lines on as they come
    return response


log_stream.allowed_methods = ("GET",)  # read by the access table test
