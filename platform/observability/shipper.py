"""The log shipper (`manage.py ship_logs`): every container of this platform instance and the
router's access log, into each app's log stream (paas.logstream).

Threads: one follower per container (container_logs), one writer for their lines, one follower of
the access log (router_log), and one on the containers' events, which starts a follower when a
container starts and forgets a removed container's cursor. The containers, their output and
their events come from the log source (runtime/log_source.py), whatever the engine. The caller's thread beats the
heartbeat `make up` waits for. Each source's cursor is written with its lines, so a restart of
the shipper, a container or the engine neither repeats nor skips lines the stream still holds.
"""
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from redis.exceptions import RedisError

from applications import job_queue
from applications.models import App
from applications.procfile import RELEASE_PHASE
from paas import heartbeat
from paas import logstream
from observability.container_logs import ContainerFollower
from observability.log_batcher import Batcher
from observability.log_cursor import container_field
from observability.router_log import RouterLogFollower
from paas.redis_client import redis_client
from runtime.log_source import Container, ContainerEvent, LogSourceError
from runtime.scheduler import get_scheduler

log = logging.getLogger(__name__)

HEARTBEAT_NAME = "logs"
HEARTBEAT_TTL = 30.0
STOP_TIMEOUT = 2.0
EVENT_MEMORY = 60.0  # seconds a kill or out-of-memory event is remembered for the `die` it causes


class AppIds:
    """App name -> id, cached; a miss reloads the table, since apps are created while we run."""

    def __init__(self, *, min_refresh: float = 0.5, max_age: float = 60.0) -> None:
        self._ids: dict[str, int] = {}
        self._known: frozenset[int] = frozenset()
        self._loaded_at = float("-inf")
        self._min_refresh, self._max_age = min_refresh, max_age
        self._lock = threading.Lock()

    def __call__(self, name: str, *, force: bool = False) -> int | None:
        """The id of app `name`, None if there is none. Misses reload at most every min_refresh
        seconds (a deleted app's last lines come in floods) unless `force`d."""
        app_id = self._ids.get(name)
        if app_id is not None and time.monotonic() - self._loaded_at < self._max_age:
            return app_id
        self._reload(lambda: name not in self._ids, force=force)
        return self._ids.get(name)

    def exists(self, app_id: int) -> bool:
        """Whether an app has this id (misses reload as for names)."""
        if app_id in self._known and time.monotonic() - self._loaded_at < self._max_age:
            return True
        self._reload(lambda: app_id not in self._known, force=False)
        return app_id in self._known

    def _reload(self, missing: Callable[[], bool], *, force: bool) -> None:
        with self._lock:
            age = time.monotonic() - self._loaded_at
            if missing() or age >= self._max_age:
                if force or age >= self._min_refresh:
                    close_old_connections()  # this thread lives long; its connection may have died
                    self._ids = dict(App.objects.values_list("name", "id"))
                    self._known = frozenset(self._ids.values())
                    self._loaded_at = time.monotonic()


class Shipper:
    def __init__(self) -> None:
        self.app_ids = AppIds()
        self.batcher = Batcher()
        self.router = RouterLogFollower(Path(settings.PAAS_LOG_DIR) / "router-access.log", self.app_ids.exists)
        self._source = get_scheduler().log_source()
        self._events = None
        self._followers: dict[str, ContainerFollower] = {}
        self._lock = threading.Lock()
        self._stopping = False
        # Containers the engine was told to kill (a stop, a removal) or found out of memory, by
        # id, with when: a `die` after a kill is a stop, not a crash. Events thread only.
        self._killed: dict[str, float] = {}
        self._out_of_memory: dict[str, float] = {}

    def run(self, should_stop: threading.Event) -> None:
        """Ship until `should_stop` is set; then write what is pending and return."""
        self.batcher.start()
        threads = [
            threading.Thread(target=self._ship_router_log, args=(should_stop,), name="router-log", daemon=True),
            threading.Thread(target=self._watch_engine, args=(should_stop,), name="engine-events", daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            while not should_stop.is_set():
                try:
                    heartbeat.beat(HEARTBEAT_NAME, os.getpid(), HEARTBEAT_TTL)
                except RedisError as error:
                    log.warning("cannot write the log shipper's heartbeat: %s", error)
                should_stop.wait(1.0)
        finally:
            self._shutdown(threads)

    def _shutdown(self, threads: list[threading.Thread]) -> None:
        deadline = time.monotonic() + STOP_TIMEOUT
        with self._lock:
            self._stopping = True
            followers = list(self._followers.values())
        self._close_events()
        for follower in followers:
            follower.stop()
        for follower in followers:
            follower.join(max(deadline - time.monotonic() - 1.0, 0.01))
        # Followers have stopped adding: what they read is written once, with its cursors.
        self.batcher.close(max(deadline - time.monotonic(), 0.5))
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.1))

    def _close_events(self) -> None:
        events = self._events
        if events is not None:
            try:
                events.close()
            except Exception:  # noqa: BLE001 - already broken
                pass

    def _ship_router_log(self, should_stop: threading.Event) -> None:
        try:
            self.router.run(should_stop)
        finally:
            connection.close()

    def _watch_engine(self, should_stop: threading.Event) -> None:
        """Follow the containers' events, reopening them (and catching up) whenever they drop."""
        backoff = 1.0
        first = True
        try:
            while not should_stop.is_set():
                try:
                    # Subscribe before listing, so a container started in between is not missed.
                    self._events = self._source.events()
                    if should_stop.is_set():
                        break
                    self._catch_up(prune=first)
                    first, backoff = False, 1.0
                    for event in self._events:
                        self._on_event(event)
                    if not should_stop.is_set():
                        log.warning("the containers' events stream ended; reopening it")
                except (LogSourceError, RedisError, DatabaseError) as error:
                    if should_stop.is_set():
                        break
                    log.warning("cannot follow the containers' engine (will retry in %gs): %s", backoff, error)
                except Exception:  # a dead thread here would silently stop shipping new containers
                    log.exception("the containers' events follower failed (will retry in %gs)", backoff)
                self._close_events()
                should_stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
        finally:
            self._close_events()
            connection.close()

    def _catch_up(self, *, prune: bool) -> None:
        """Follow every container of the instance (each from its cursor)."""
        containers = self._source.containers()
        for container in containers:
            self._ensure(container)
        if prune:
            # Cursors of containers removed while no shipper ran would stay forever.
            existing = {container_field(container.id) for container in containers}
            redis = redis_client()
            for raw in redis.hkeys(logstream.cursors_key()):
                name = raw.decode()
                if name.startswith(container_field("")) and name not in existing:
                    logstream.forget_cursor(name, redis=redis)

    def _on_event(self, event: ContainerEvent) -> None:
        container = event.container
        if event.action == "start":
            self._ensure(container)
        elif event.action == "kill":
            self._killed[container.id] = time.monotonic()
        elif event.action == "oom":
            self._out_of_memory[container.id] = time.monotonic()
        elif event.action == "die":
            self._report_crash(event)
            self._wake_reconciler(container)
        elif event.action == "destroy":
            with self._lock:
                follower = self._followers.get(container.id)
            if follower is not None:
                follower.wake()  # it finds the container gone, forgets its cursor after its last write
            else:
                self.batcher.forget(container_field(container.id))

    def _wake_reconciler(self, container: Container) -> None:
        """A process died, however it died (a `docker kill` included, which the engine's restart
        policy leaves dead): the reconciler replaces it now rather than at its next pass. If the
        platform stopped it on purpose, the reconciler finds nothing to do."""
        if container.app and container.process not in (None, RELEASE_PHASE):
            try:
                job_queue.wake_reconciler(container.app)
            except RedisError:
                log.warning("could not wake the reconciler for %s: Redis is unreachable", container.app)

    def _report_crash(self, event: ContainerEvent) -> None:
        """A platform line when a process dies on its own (Heroku's "State changed from up to
        crashed"); the engine's restart policy then starts it again."""
        now = time.monotonic()
        for seen in (self._killed, self._out_of_memory):
            for old in [cid for cid, at in seen.items() if now - at > EVENT_MEMORY]:
                del seen[old]
        container = event.container
        killed = self._killed.pop(container.id, None) is not None
        out_of_memory = self._out_of_memory.pop(container.id, None) is not None
        if killed or container.process in (None, RELEASE_PHASE):  # the rollout reports its release phase
            return
        app_id = self.app_ids(container.app or "")
        if app_id is None:
            return
        label = f"{container.process}.{container.index or 1}"
        why = "ran out of memory" if out_of_memory else f"exited with status {event.exit_code or '?'}"
        logstream.say(app_id, "platform", f"{label} crashed ({why}); restarting it")

    def _ensure(self, container: Container) -> None:
        """Start a follower for the container, or wake the one it has (the container restarted)."""
        with self._lock:
            follower = self._followers.get(container.id)
        if follower is not None:
            follower.wake()
            return
        if container.app is None or container.process is None or container.index is None:
            return  # not one of our app containers
        # Only this thread starts followers, so the lookup may happen outside the lock.
        app_id = self.app_ids(container.app, force=True)
        if app_id is None:
            log.info("not shipping logs of container %s: no app named %s", container.id[:12], container.app)
            return
        follower = ContainerFollower(self._source, container.id, app_id, f"{container.process}.{container.index}",
                                     self.batcher, on_exit=self._exited)
        with self._lock:
            if self._stopping:
                return
            self._followers[container.id] = follower
        follower.start()

    def _exited(self, follower: ContainerFollower) -> None:
        with self._lock:
            if self._followers.get(follower.container_id) is follower:
                del self._followers[follower.container_id]


def run(should_stop: threading.Event) -> None:
    """Ship this instance's logs until `should_stop` is set."""
    Shipper().run(should_stop)
