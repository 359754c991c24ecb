"""Relay every app's log stream to the channel layer, in order, in batches.

One reader for all streams, so each app's batches reach viewers in sequence order (viewers
detect dropped lines by gaps). Reading in rounds at least BATCH_SECONDS apart turns 10,000
lines/s into about 20 messages/s per app, whatever the number of viewers. The position in each
stream is kept in Redis, so a restarted relay goes on where it stopped.
"""
import asyncio
import logging
import threading
import time

import redis.asyncio as aioredis
from django.conf import settings
from redis.exceptions import RedisError

from observability import publisher
from paas import logstream

log = logging.getLogger(__name__)

BATCH_SECONDS = 0.05
MAX_BATCH = 2000
# A batch is one websocket message to each viewer: kept well under the 1 MiB that websocket
# clients commonly accept (the websockets library's default), however long its lines. 2,000
# lines of a relay that fell behind came to 1.1 MiB, and a viewer was cut off with 1009.
MAX_BATCH_BYTES = 512 * 1024
IDLE_BLOCK_MS = 200


def positions_key() -> str:
    return f"paas:{settings.PAAS_INSTANCE}:logs:relayed"


class Relay:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self.positions: dict[int, str] = {}

    async def load_positions(self) -> None:
        """Where each stream was relayed up to; a stream never relayed starts at its end (its
        lines so far are history, which viewers read from the stream itself)."""
        saved = await self.redis.hgetall(positions_key())
        self.positions = {int(app): position.decode() for app, position in saved.items()}
        for app_id in await self._app_ids():
            if app_id not in self.positions:
                newest = await self.redis.xrevrange(logstream.stream_key(app_id), count=1)
                self.positions[app_id] = newest[0][0].decode() if newest else "0-0"

    async def _app_ids(self) -> list[int]:
        return [int(member) for member in await self.redis.smembers(logstream.apps_key())]

    async def round(self) -> int:
        """Relay what is new in every stream; returns the number of lines relayed."""
        for app_id in await self._app_ids():
            # A stream that appeared after we started is new: all of it is live.
            self.positions.setdefault(app_id, "0-0")
        if not self.positions:
            await asyncio.sleep(IDLE_BLOCK_MS / 1000)
            return 0
        streams = {logstream.stream_key(app_id): position for app_id, position in self.positions.items()}
        result = await self.redis.xread(streams, count=MAX_BATCH, block=IDLE_BLOCK_MS)
        sends, moved, relayed = [], {}, 0
        for key, rows in result or []:
            rows = _within_bytes(rows)  # the rest is read next round, from where this batch ends
            relayed += len(rows)
            app_id = logstream.app_id_of(key)
            moved[app_id] = rows[-1][0].decode()
            first, last = int(rows[0][1][b"n"]), int(rows[-1][1][b"n"])
            sends.append(publisher.publish_log_batch(app_id, first=first, last=last, lines_json=logstream.batch_json(rows)))
        if not sends:
            return 0
        await asyncio.gather(*sends)
        self.positions.update(moved)
        await self.redis.hset(positions_key(), mapping={str(app): pos for app, pos in moved.items()})
        return relayed

    async def run(self, should_stop: threading.Event) -> None:
        await self.load_positions()
        while not should_stop.is_set():
            started = time.monotonic()
            if await self.round():
                await asyncio.sleep(max(0.0, BATCH_SECONDS - (time.monotonic() - started)))


async def _run(should_stop: threading.Event) -> None:
    redis = aioredis.from_url(settings.REDIS_URL)
    try:
        while not should_stop.is_set():
            try:
                await Relay(redis).run(should_stop)
            except (RedisError, OSError) as error:
                log.warning("log relay: %s; retrying in 1 s", error)
                await asyncio.sleep(1)
    finally:
        await redis.aclose()


def run_forever(should_stop: threading.Event) -> None:
    """Relay until `should_stop` is set (the log shipper runs this in a thread)."""
    asyncio.run(_run(should_stop))


def _within_bytes(rows: list) -> list:
    """The first rows whose lines stay within MAX_BATCH_BYTES (always at least one)."""
    size = 0
    for count, (_, fields) in enumerate(rows):
        size += len(fields[b"j"]) + 1
        if size > MAX_BATCH_BYTES and count:
            return rows[:count]
    return rows
