"""Per-app request counters from the router's access log: requests, status classes and a latency
histogram per time bucket of PAAS_METRICS_INTERVAL seconds, in Redis.

The log shipper `record`s what it parses; the metrics sampler `collect`s a window. Latencies are
counted in fixed buckets rather than kept one by one, so a window of any length (5 s, a minute)
is a merge of counters and its percentiles cost the same to compute.
"""
import bisect
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import timezone

from django.conf import settings

from observability.access_log import AccessRecord
from observability.metrics_store import key, redis_errors
from paas.redis_client import redis_client

# Quarter-octave upper bounds from 0.5 ms to 65.5 s: a percentile is off by at most 19 %, which
# is finer than a chart shows. One more bucket counts the slower requests.
BOUNDS: tuple[float, ...] = tuple(0.0005 * 2 ** (i / 4) for i in range(69))
BUCKETS = len(BOUNDS) + 1
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
# Long enough for the sampler's one-minute rollup to read the buckets of the minute just ended.
BUCKET_TTL = 600
MAX_WINDOW_BUCKETS = 10_000


def latency_bucket(seconds: float) -> int:
    """The histogram bucket counting a request that took `seconds`."""
    return bisect.bisect_left(BOUNDS, seconds)


def percentile(histogram: list[int], q: float) -> float | None:
    """The q-quantile (0 < q <= 1) in seconds, interpolated inside its bucket as Prometheus
    does; None for no requests. Requests slower than the last bound count as that bound."""
    total = sum(histogram)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(histogram):
        if count and seen + count >= rank:
            if index == len(BOUNDS):
                return BOUNDS[-1]
            lower = BOUNDS[index - 1] if index else 0.0
            return lower + (BOUNDS[index] - lower) * (rank - seen) / count
        seen += count
    return BOUNDS[-1]


def status_class(status: int) -> str | None:
    # nginx's 499 (the client went away) lands in 4xx; 1xx is not a finished request.
    return f"{status // 100}xx" if 200 <= status < 600 else None


@dataclass
class RouterWindow:
    """The router's counts for one app over `seconds`."""

    seconds: float
    requests: int = 0
    status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUS_CLASSES, 0))
    histogram: list[int] = field(default_factory=lambda: [0] * BUCKETS)

    def add(self, counts: dict[str, int]) -> None:
        """Add one stored bucket's fields (`n`, `2xx`..., `h<index>`)."""
        for name, value in counts.items():
            if name == "n":
                self.requests += value
            elif name in self.status:
                self.status[name] += value
            elif name.startswith("h") and name[1:].isdigit() and int(name[1:]) < BUCKETS:
                self.histogram[int(name[1:])] += value

    def latency_ms(self) -> dict[str, float | None]:
        def ms(q: float) -> float | None:
            value = percentile(self.histogram, q)
            return None if value is None else round(value * 1000, 2)

        return {"p50": ms(0.50), "p95": ms(0.95), "p99": ms(0.99)}

    def as_json(self) -> dict:
        return {
            "requests": self.requests,
            "rps": round(self.requests / self.seconds, 3) if self.seconds > 0 else 0.0,
            "status": dict(self.status),
            "latency_ms": self.latency_ms(),
        }


def _bucket_key(app_id: int, index: int) -> str:
    # The bucket's start in whole milliseconds: stable text for any interval, even a fractional one.
    return key("router", app_id, round(index * settings.PAAS_METRICS_INTERVAL * 1000))


def counts_of(records: list[AccessRecord]) -> dict[int, Counter]:
    """Per bucket index (bucket = the record's time // interval): the fields to add."""
    interval = settings.PAAS_METRICS_INTERVAL
    buckets: dict[int, Counter] = {}
    for record in records:
        moment = record.time if record.time.tzinfo else record.time.replace(tzinfo=timezone.utc)
        counts = buckets.setdefault(math.floor(moment.timestamp() / interval), Counter())
        counts["n"] += 1
        if cls := status_class(record.status):
            counts[cls] += 1
        counts[f"h{latency_bucket(record.duration)}"] += 1
    return buckets


def record(app_id: int, records: list[AccessRecord], *, redis=None) -> None:
    """Count the app's requests into their time buckets (one Redis round trip)."""
    if not records:
        return
    pipe = (redis or redis_client()).pipeline(transaction=False)
    for index, counts in counts_of(records).items():
        bucket = _bucket_key(app_id, index)
        for name, value in counts.items():
            pipe.hincrby(bucket, name, value)
        pipe.expire(bucket, BUCKET_TTL)
    with redis_errors("count router requests"):
        pipe.execute()


def collect(app_id: int, start: float, end: float, *, redis=None) -> RouterWindow:
    """The app's counts merged over the buckets that start in [start, end)."""
    interval = settings.PAAS_METRICS_INTERVAL
    first, stop = math.ceil(start / interval), math.ceil(end / interval)
    if stop - first > MAX_WINDOW_BUCKETS:
        raise ValueError(f"a router window of {end - start:g} s is too long to collect")
    window = RouterWindow(seconds=max(end - start, 0.0))
    if stop <= first:
        return window
    pipe = (redis or redis_client()).pipeline(transaction=False)
    for index in range(first, stop):
        pipe.hgetall(_bucket_key(app_id, index))
    with redis_errors("read router counts"):
        stored = pipe.execute()
    for fields in stored:
        window.add({_text(name): int(value) for name, value in fields.items()})
    return window


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
