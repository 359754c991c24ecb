"""Each app's load as the router saw it, per second, for the autoscaler: how many requests ended
and how long they took together, and when the last one ended.

Requests in flight over a window follow from Little's law: the seconds that requests spent
between the router and the app, summed over the window, divided by its length. A request counts
when it ends (the access log is written then), so a load step shows within a request's time.
"""
import math
from datetime import timezone

from observability.access_log import AccessRecord
from observability.metrics_store import key, redis_errors
from paas.redis_client import redis_client

# Seconds a second's counts are kept: the longest window the autoscaler looks back over.
KEEP_SECONDS = 600


def _second_key(app_id: int, second: int) -> str:
    return key("load", app_id, second)


def _last_key(app_id: int) -> str:
    return key("load-last", app_id)


def _second(record: AccessRecord) -> int:
    moment = record.time if record.time.tzinfo else record.time.replace(tzinfo=timezone.utc)
    return math.floor(moment.timestamp())


def record(app_id: int, records: list[AccessRecord], *, redis=None) -> None:
    """Count the app's ended requests into their seconds (one Redis round trip)."""
    if not records:
        return
    busy: dict[int, float] = {}
    ended: dict[int, int] = {}
    for entry in records:
        second = _second(entry)
        busy[second] = busy.get(second, 0.0) + entry.duration
        ended[second] = ended.get(second, 0) + 1
    pipe = (redis or redis_client()).pipeline(transaction=False)
    for second in busy:
        counts = _second_key(app_id, second)
        pipe.hincrbyfloat(counts, "busy", busy[second])
        pipe.hincrby(counts, "n", ended[second])
        pipe.expire(counts, KEEP_SECONDS)
    pipe.set(_last_key(app_id), max(busy))
    with redis_errors("count router load"):
        pipe.execute()


def in_flight(app_id: int, start: int, end: int, *, redis=None) -> float:
    """Requests in flight on average over the whole seconds [start, end)."""
    if end <= start:
        return 0.0
    pipe = (redis or redis_client()).pipeline(transaction=False)
    for second in range(start, end):
        pipe.hget(_second_key(app_id, second), "busy")
    with redis_errors("read router load"):
        values = pipe.execute()
    return sum(float(value) for value in values if value is not None) / (end - start)


def last_request(app_id: int, *, redis=None) -> int | None:
    """The unix second the app's last request ended in, None if none is on record."""
    with redis_errors("read router load"):
        value = (redis or redis_client()).get(_last_key(app_id))
    return int(value) if value is not None else None
