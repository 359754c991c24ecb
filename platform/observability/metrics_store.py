"""Metrics samples in Redis: every sample for the last PAAS_METRICS_RAW_SECONDS, and one-minute
rollups for PAAS_METRICS_ROLLUP_HOURS.

Each app has two sorted sets of JSON samples scored by their time `t`. Both are trimmed by age on
every write and expire with it, so a deleted app's metrics go away without a cleanup job.
"""
import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from redis.exceptions import RedisError

from paas.errors import Unavailable
from paas.redis_client import redis_client

ROLLUP_SECONDS = 60
# 48 hours of one-minute rollups (the default retention): one answer can draw the whole history.
MAX_SAMPLES = 2880


class MetricsUnavailable(Unavailable):
    """Redis, which holds the metrics, cannot be reached; nothing is lost but the samples meanwhile."""


def key(*parts: object) -> str:
    return ":".join([f"paas:{settings.PAAS_INSTANCE}:metrics", *map(str, parts)])


@contextmanager
def redis_errors(doing: str) -> Iterator[None]:
    try:
        yield
    except RedisError as error:
        raise MetricsUnavailable(
            f"metrics are unavailable: cannot {doing} in Redis ({error}); is redis-server running at REDIS_URL?"
        ) from None


def raw_key(app_id: int) -> str:
    return key("raw", app_id)


def rollup_key(app_id: int) -> str:
    return key("rollup", app_id)


def resolution() -> int | float:
    """Seconds between raw samples, as an int when whole (5, not 5.0)."""
    interval = settings.PAAS_METRICS_INTERVAL
    return int(interval) if float(interval).is_integer() else interval


def _put(zset: str, sample: dict, keep_seconds: float, *, redis) -> None:
    t = sample["t"]
    pipe = (redis or redis_client()).pipeline(transaction=True)
    pipe.zremrangebyscore(zset, t, t)  # a sample taken again for the same time replaces the first
    pipe.zadd(zset, {json.dumps(sample, separators=(",", ":")): t})
    pipe.zremrangebyscore(zset, "-inf", f"({t - keep_seconds}")
    pipe.expire(zset, math.ceil(keep_seconds) + ROLLUP_SECONDS)
    with redis_errors("store a metrics sample"):
        pipe.execute()


def store(app_id: int, sample: dict, *, redis=None) -> None:
    """Keep a raw sample; samples older than PAAS_METRICS_RAW_SECONDS before it are dropped."""
    _put(raw_key(app_id), sample, settings.PAAS_METRICS_RAW_SECONDS, redis=redis)


def store_rollup(app_id: int, rollup: dict, *, redis=None) -> None:
    _put(rollup_key(app_id), rollup, settings.PAAS_METRICS_ROLLUP_HOURS * 3600, redis=redis)


def _range(zset: str, low: str, high: str, limit: int, *, redis) -> list[dict]:
    # Newest first with a limit, then reversed: a capped answer keeps the most recent samples.
    with redis_errors("read metrics"):
        members = (redis or redis_client()).zrevrangebyscore(zset, high, low, start=0, num=limit)
    return [json.loads(member) for member in reversed(members)]


def raw_between(app_id: int, after: float, until: float, *, redis=None) -> list[dict]:
    """Raw samples with after < t <= until, oldest first."""
    return _range(raw_key(app_id), f"({after}", str(until), MAX_SAMPLES, redis=redis)


def samples_since(
    app_id: int, since: float, *, now: float | None = None, limit: int = MAX_SAMPLES, redis=None
) -> tuple[int | float, list[dict]]:
    """(seconds between samples, samples with t > since, oldest first): raw samples if `since` is
    within the raw window, else one-minute rollups; at most `limit`, the newest."""
    now = time.time() if now is None else now
    if since >= now - settings.PAAS_METRICS_RAW_SECONDS:
        return resolution(), _range(raw_key(app_id), f"({since}", "+inf", limit, redis=redis)
    return ROLLUP_SECONDS, _range(rollup_key(app_id), f"({since}", "+inf", limit, redis=redis)
