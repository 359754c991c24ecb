"""The meter: the metrics sampler hands it each app's readings every sample, and it adds what
every running container used since its previous reading into the hour's UsageBucket.

Which hour: the whole of a reading's delta goes to the hour of the sampled window's start.
Windows are aligned to PAAS_METRICS_INTERVAL (5 s divides an hour), so none spans two hours; the
readings lag their window by the sampler's ROUTER_LAG (~2 s), so that much use at the end of an
hour lands in the next one. Splitting each delta would cost a second row write for no figure a
user could tell apart.

First readings: a container first read since the meter started counts all its CPU time since it
started, and its running time since it was created (or since the app's previous pass, if that is
shorter: it was not running then). The exception is a container already running before the
meter started, read in the meter's first pass of its app: an earlier sampler may have counted
it, so that reading is only the base for the next delta (its use while no sampler ran is lost).

Stopped, sleeping or scaled-away containers have no reading and cost nothing; the use of a
container between its last reading and its stop (under one interval) is not counted, nor a
container that ran between two passes and was never read (a wake shorter than an interval).
"""
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F

from applications.models import App
from metering.models import UsageBucket
from metering.usage import Usage, hour_of, running_usage, usage_between
from runtime.processes import Process, ProcessStats

log = logging.getLogger(__name__)

ROUTED_TYPE = "web"


@dataclass
class _Seen:
    stats: ProcessStats
    running: bool  # at the app's last pass: False once a pass found it stopped (its stats are older)


class Meter:
    def __init__(self, clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.clock, self.monotonic = clock, monotonic
        self.started = clock()
        self.seen: dict[str, _Seen] = {}  # container id -> its last reading
        self.last_pass: dict[int, float] = {}  # app id -> monotonic time of its previous pass
        self.pending: dict[tuple[int, str, object], Usage] = {}  # (app id, type, hour) -> not written yet
        self.lock = threading.Lock()  # apps are observed side by side, by the sampler's threads

    def observe(self, app_id: int, window_start: float, readings: Iterable[tuple[Process, ProcessStats | None]],
                requests: int = 0) -> None:
        """Add one pass of the app's processes (all of them, of every release; stats None for
        one not running) and its router requests of the window starting at `window_start`."""
        now = self.monotonic()
        since_pass = now - self.last_pass[app_id] if app_id in self.last_pass else None
        by_type: dict[str, Usage] = {}
        for process, stats in readings:
            usage = self._usage(process, stats, since_pass)
            if usage is not None:
                by_type.setdefault(process.process_type, Usage()).add(usage)
        if requests:
            by_type.setdefault(ROUTED_TYPE, Usage()).requests += requests
        hour = hour_of(window_start)
        with self.lock:
            self.last_pass[app_id] = now
            for process_type, usage in by_type.items():
                self.pending.setdefault((app_id, process_type, hour), Usage()).add(usage)

    def _usage(self, process: Process, stats: ProcessStats | None, since_pass: float | None) -> Usage | None:
        seen = self.seen.get(process.id)
        if stats is None:
            if seen is not None:
                seen.running = False
            return None
        self.seen[process.id] = _Seen(stats, running=True)
        if seen is not None:
            return usage_between(seen.stats, stats, max_seconds=None if seen.running else since_pass)
        if since_pass is None and process.created < self.started:
            return None
        seconds = self.clock() - process.created
        return running_usage(stats.cpu_ns, stats, seconds if since_pass is None else min(seconds, since_pass))

    def end_pass(self, listed: set[str], app_ids: Iterable[int]) -> None:
        """Forget containers the engine no longer lists and apps no longer sampled, then write
        what the pass added."""
        with self.lock:
            self.seen = {cid: seen for cid, seen in self.seen.items() if cid in listed}
            kept = set(app_ids)
            self.last_pass = {app_id: at for app_id, at in self.last_pass.items() if app_id in kept}
            pending, self.pending = self.pending, {}
        try:
            write(pending)
        except IntegrityError as error:  # an app deleted under the pass: its buckets went with it
            log.warning("dropped a pass of usage: %s", error)
        except DatabaseError:
            with self.lock:  # the database is away: the next pass writes it along with its own
                for key, usage in pending.items():
                    self.pending.setdefault(key, Usage()).add(usage)
            raise


def write(pending: dict[tuple[int, str, object], Usage]) -> None:
    """Add to the buckets in one transaction: an increment per bucket, a row at its hour's first."""
    if not pending:
        return
    existing = set(App.objects.filter(pk__in={app_id for app_id, _, _ in pending}).values_list("pk", flat=True))
    with transaction.atomic():
        for (app_id, process_type, hour), usage in pending.items():
            if app_id not in existing:
                continue
            values = {name: value for name, value in usage.as_dict().items() if value}
            bucket = UsageBucket.objects.filter(app_id=app_id, process_type=process_type, hour=hour)
            if not values or bucket.update(**{name: F(name) + value for name, value in values.items()}):
                continue
            UsageBucket.objects.create(app_id=app_id, process_type=process_type, hour=hour, **values)
