"""The log relay's batches on a real Redis: however far it fell behind and however long the
lines, each batch (one websocket message to every viewer) stays under MAX_BATCH_BYTES, and the
lines a round leaves over come next round, in order, none lost or repeated."""
import json

import pytest
import redis.asyncio as aioredis
from django.conf import settings

from observability import publisher, relay
from paas import logstream

pytestmark = pytest.mark.asyncio


async def test_a_relay_that_fell_behind_sends_batches_under_the_byte_cap_in_order(isolated, monkeypatch):
    app_id = 7001
    logstream.discard(app_id)
    line = "x" * 560  # 2,000 of these came to 1.1 MiB in one message
    sent: list[tuple[int, int, str]] = []

    async def publish(app, *, first, last, lines_json):
        sent.append((first, last, lines_json))

    monkeypatch.setattr(publisher, "publish_log_batch", publish)
    redis = aioredis.from_url(settings.REDIS_URL)
    try:
        relayer = relay.Relay(redis)
        await relayer.load_positions()  # its stream starts after what is there now: nothing
        logstream.append(app_id, [logstream.Line(logstream.now_iso(), "app", "web.1", f"{n} {line}") for n in range(1, 2001)])
        while sum(last - first + 1 for first, last, _ in sent) < 2000:
            assert await relayer.round() > 0
    finally:
        await redis.aclose()
        logstream.discard(app_id)

    assert len(sent) >= 3
    assert all(len(lines_json) <= relay.MAX_BATCH_BYTES + 2 for _, _, lines_json in sent)
    numbers = [int(entry["line"].split(" ", 1)[0]) for _, _, lines_json in sent for entry in json.loads(lines_json)]
    assert numbers == list(range(1, 2001))
    assert [first for first, _, _ in sent[1:]] == [last + 1 for _, last, _ in sent[:-1]]
