"""The metrics sampler: every PAAS_METRICS_INTERVAL seconds, a sample per app with a live release
(its processes' stats from the engine, its router counts from Redis), stored and pushed to viewers.

Samples are aligned to the epoch (t = 5, 10, 15...) and taken ROUTER_LAG seconds after their
window ends, so the access log lines of its last requests have reached router_stats by then.
"""
import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections
from redis.exceptions import RedisError

from applications.models import App, Release
from applications.selectors import live_release
from metering.meter import Meter
from observability import metrics, metrics_store, publisher, router_stats
from observability.metrics_store import ROLLUP_SECONDS, MetricsUnavailable
from runtime.processes import BackendError, Process, ProcessState, ProcessStats
from runtime.scheduler import Scheduler, get_scheduler

log = logging.getLogger(__name__)

ROUTER_LAG = 2.0
# Engine calls are ~10 ms each and mostly waiting: a few threads read a host's containers at once.
STATS_THREADS = 8
APP_THREADS = 4


def window_end(now: float) -> float:
    """The latest sample time at or before `now`."""
    return window_end_of(math.floor(now / settings.PAAS_METRICS_INTERVAL))


def window_end_of(index: int) -> float:
    # Rounded so that sample times read as the multiples of the interval they are.
    return round(index * settings.PAAS_METRICS_INTERVAL, 6)


class Sampler:
    def __init__(self, backend: Scheduler | None = None, publish: Callable[[int, dict], None] | None = None) -> None:
        self._backend = backend
        self.publish = publish or publisher.publish_metrics_sample_sync
        self.pool = ThreadPoolExecutor(max_workers=STATS_THREADS, thread_name_prefix="stats")
        # Its own pool: an app's sample waits on the stats pool, which must never be full of apps.
        self.apps_pool = ThreadPoolExecutor(max_workers=APP_THREADS, thread_name_prefix="apps")
        self.previous: dict[str, ProcessStats] = {}  # container id -> its last reading, for CPU %
        self.rolled_up: dict[int, float] = {}  # app id -> end of its last one-minute rollup
        self.meter = Meter()

    @property
    def backend(self) -> Scheduler:
        # Connected on first use, not at start: an engine that is down when the sampler starts
        # costs samples until it is back, not the sampler.
        if self._backend is None:
            self._backend = get_scheduler()
        return self._backend

    def run_forever(self, should_stop: threading.Event, beat: Callable[[], None] = lambda: None) -> None:
        interval = settings.PAAS_METRICS_INTERVAL
        index = math.floor(time.time() / interval)  # of the window ending at index * interval
        while not should_stop.is_set():
            try:
                beat()
            except Exception as error:
                log.warning("metrics heartbeat failed: %s", error)
            index += 1
            if time.time() - index * interval > 3 * interval:
                # Fell behind (a slow engine, a suspended host): skip to the latest window.
                index = math.floor((time.time() - ROUTER_LAG) / interval)
            end = window_end_of(index)
            while (delay := end + ROUTER_LAG - time.time()) > 0:
                if should_stop.wait(delay):
                    return
            try:
                self.sample_all(end, should_stop)
            except Exception:
                # The database or Redis went away: keep trying, the next sample may succeed.
                log.exception("metrics pass failed; retrying")
                close_old_connections()

    def sample_all(self, end: float, should_stop: threading.Event | None = None) -> None:
        close_old_connections()
        seen: set[str] = set()

        def sample(app: App, live: Release) -> None:
            if should_stop is None or not should_stop.is_set():  # SIGTERM must not wait for a whole pass
                self._sample_safely(app, live, end, seen)

        # The database is read here, the engine and Redis by the pool, apps side by side: one
        # after the other, a host's hundred apps (two engine calls per process each) took longer
        # than the interval on a busy 2-core machine.
        lives = [(app, live) for app in App.objects.order_by("pk") if (live := live_release(app)) is not None]
        list(self.apps_pool.map(lambda pair: sample(*pair), lives))
        self.previous = {cid: stats for cid, stats in self.previous.items() if cid in seen}
        self.meter.end_pass(seen, [app.pk for app, _ in lives])

    def _sample_safely(self, app: App, live: Release, end: float, seen: set[str]) -> None:
        """One app's trouble must not stop the others' samples."""
        try:
            sample = self.sample_app(app, live, end, seen)
            metrics_store.store(app.pk, sample)
            self._roll_up(app, end)
            self.publish(app.pk, sample)
        except (BackendError, MetricsUnavailable, RedisError) as error:  # RedisError: from the channel layer
            log.warning("sampling metrics of %s: %s", app.name, error)
        except Exception:
            log.exception("sampling metrics of %s failed", app.name)

    def sample_app(self, app: App, live: Release, end: float, seen: set[str] | None = None) -> dict:
        """The app's sample for the window ending at `end` (not stored)."""
        # Every release's processes are read: a draining one is not in the sample but is metered.
        processes = self.backend.processes(app.name)
        readings = list(self.pool.map(self._read, processes))
        by_label = {}
        for process, (state, stats) in zip(processes, readings):
            if process.release == live.version:
                by_label[process.label] = metrics.process_json(stats, self.previous.get(process.id), state.restarts)
            if stats is not None:
                self.previous[process.id] = stats
            if seen is not None:
                seen.add(process.id)
        router = router_stats.collect(app.pk, end - settings.PAAS_METRICS_INTERVAL, end)
        self.meter.observe(app.pk, end - settings.PAAS_METRICS_INTERVAL,
                           [(process, stats) for process, (_, stats) in zip(processes, readings)], router.requests)
        return metrics.sample_json(end, by_label, router)

    def _read(self, process: Process) -> tuple[ProcessState, ProcessStats | None]:
        try:
            state = self.backend.state(process)
            return state, self.backend.stats(process) if state.running else None
        except BackendError as error:
            log.warning("reading %s of %s: %s", process.label, process.app, error)
            return ProcessState(running=False, exit_code=None, restarts=0), None

    def _roll_up(self, app: App, end: float) -> None:
        minute = math.floor(end / ROLLUP_SECONDS) * ROLLUP_SECONDS
        if self.rolled_up.get(app.pk, 0) < minute:
            roll_up_minute(app.pk, minute)
            self.rolled_up[app.pk] = minute


def roll_up_minute(app_id: int, minute_end: float) -> dict | None:
    """Store the one-minute rollup of the raw samples with t in (minute_end - 60, minute_end]; None,
    storing nothing, if there are none (the app was not sampled then)."""
    samples = metrics_store.raw_between(app_id, minute_end - ROLLUP_SECONDS, minute_end)
    if not samples:
        return None
    router = router_stats.collect(app_id, minute_end - ROLLUP_SECONDS, minute_end)
    rollup = metrics.rollup(minute_end, samples, router)
    metrics_store.store_rollup(app_id, rollup)
    return rollup
