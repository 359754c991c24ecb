"""Websockets for an app's live logs and metrics.

Consumers only relay what the channel layer brings (observability.relay, the metrics sampler)
and read the recent history once on connect, off the event loop; they never call Docker. While
open, each asks again every few seconds whether its user may still view the app
(observability.access) and closes with 4403 or 4404 once not.
"""
import asyncio
import json
import time
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from observability import access, publisher
from paas import logstream
from observability.metrics_store import samples_since
from observability.viewer import Viewer

DEFAULT_HISTORY = 100
METRICS_HISTORY_SECONDS = 1800  # within the raw window: the full-resolution samples
# channels_redis forgets group members after a day; long-lived viewers rejoin well before that.
REJOIN_SECONDS = 3600


class _AppStreamConsumer(AsyncWebsocketConsumer):
    """Authorise on connect, join the app's group, send the history, then relay while the
    user may still view the app."""

    group_for = staticmethod(publisher.log_group)
    revoked = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        app = await database_sync_to_async(access.viewable_app)(user, self.scope["url_route"]["kwargs"]["app"])
        if isinstance(app, int):
            await self.accept()
            await self.close(code=app)
            return
        token_digest = self.scope.get("token_digest")
        session = None if token_digest else self.scope.get("session")
        self.grant = access.StreamGrant(user.pk, app.pk, token_digest, session.session_key if session else None)
        self.group = self.group_for(app.pk)
        # Join before reading the history: nothing published after the read can be missed,
        # and what both bring is sent once (by sequence number).
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.watch = asyncio.create_task(self._watch())
        await self.accept()
        await self.send_history(app, parse_qs(self.scope.get("query_string", b"").decode()))

    async def _watch(self) -> None:
        """Ask again whether the user may view the app; rejoin the group now and then."""
        rejoin_at = time.monotonic() + REJOIN_SECONDS
        while True:
            await asyncio.sleep(access.RECHECK_SECONDS)
            code = await database_sync_to_async(access.access_revoked)(self.grant)
            if code is not None:
                self.revoked = True  # batches already queued for this socket are dropped
                await self.channel_layer.group_discard(self.group, self.channel_name)
                await self.close(code=code)
                return
            if time.monotonic() >= rejoin_at:
                await self.channel_layer.group_add(self.group, self.channel_name)
                rejoin_at = time.monotonic() + REJOIN_SECONDS

    async def disconnect(self, code) -> None:
        if hasattr(self, "group"):
            self.watch.cancel()
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _relay(self, text: str) -> None:
        if not self.revoked:
            await self.send(text_data=text)

    async def send_history(self, app, query: dict[str, list[str]]) -> None:
        raise NotImplementedError

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """Clients have nothing to say; whatever they send is ignored."""


class LogConsumer(_AppStreamConsumer):
    group_for = staticmethod(publisher.log_group)

    async def send_history(self, app, query) -> None:
        try:
            count = logstream.history_size(query.get("lines", [None])[0], DEFAULT_HISTORY)
        except ValueError:
            count = DEFAULT_HISTORY
        entries, latest = await sync_to_async(logstream.recent)(app.pk, count)
        self.viewer = Viewer(latest)
        await self.send(text_data=_frame("history", logstream.lines_json(entries)))

    async def log_batch(self, message: dict) -> None:
        missed, lines = self.viewer.take(message["first"], message["last"], message["lines"])
        if missed is not None:
            await self._relay(json.dumps({"type": "missed", "count": missed.count}))
        if lines is not None:
            await self._relay(_frame("lines", lines))


def _frame(kind: str, lines_json: str) -> str:
    # The lines were encoded once by the relay for every viewer; only the envelope is added here.
    return f'{{"type":"{kind}","lines":{lines_json}}}'


class MetricsConsumer(_AppStreamConsumer):
    group_for = staticmethod(publisher.metrics_group)

    async def send_history(self, app, query) -> None:
        resolution, samples = await sync_to_async(samples_since)(app.pk, time.time() - METRICS_HISTORY_SECONDS)
        await self.send(text_data=json.dumps({"type": "history", "resolution": resolution, "samples": samples}))

    async def metrics_sample(self, message: dict) -> None:
        await self._relay(json.dumps({"type": "sample", "sample": message["sample"]}))
