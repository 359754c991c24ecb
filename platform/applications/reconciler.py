"""Keep the engine matching the database.

For each app: the live release's formation runs (a missing or dead process is replaced, with
back-off when it keeps dying; limits follow the formation), processes of retired releases
are retired once the drain window has passed, leftovers of failed or interrupted rollouts are
removed, and the router points at the live web processes. It takes the app's rollout lock
without waiting, so it never acts on an app while a rollout is changing it. What it decides is
here; the scheduler carries it out, so these decisions are the same on every scheduler.
"""
import logging
import os
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from applications import config_crypto, job_queue
from applications.formation import formation_ensure
from applications.models import App, Release, ReleaseStatus
from applications.locks import app_rollout_lock, name_rollout_lock, name_rollout_lock_held
from applications.release_plan import release_plan
from applications.selectors import live_release
from applications.sleep import WakeFailed, app_sleeping, app_wake, may_sleep
from applications.slots import slot_holders, wanted_slots
from applications.traffic import traffic_point
from builds.liveness import builds_sweep
from paas import heartbeat
from paas import logstream
from router import routing
from runtime.plan import ReleasePlan
from runtime.processes import BackendError, Process
from runtime.scheduler import Scheduler, get_scheduler

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0
# A replacement that stays up this long resets its slot's back-off.
HEALTHY_AFTER = 60.0


@dataclass
class Backoff:
    failures: int = 0
    next_try: float = 0.0
    last_start: float = 0.0


class Reconciler:
    def __init__(self, scheduler: Scheduler | None = None) -> None:
        self.scheduler = scheduler or get_scheduler()
        # By (app name, release, label): a new release's process owes nothing to the crashes of the one it replaced.
        self.backoff: dict[tuple[str, int, str], Backoff] = {}
        # Processes whose app is gone (renamed, deleted), by id, with when a pass first saw them.
        self.orphans: dict[str, float] = {}

    # --- the loop -------------------------------------------------------------------------
    def run_forever(self, interval: float, should_stop: threading.Event) -> None:
        last_full = 0.0
        while not should_stop.is_set():
            try:
                heartbeat.beat("reconciler", os.getpid(), ttl=interval * 3 + 30)
                if time.monotonic() - last_full >= interval:
                    self.reconcile_all()
                    last_full = time.monotonic()
                for name in job_queue.wait_for_wake(interval):
                    self._reconcile_safely(App.objects.filter(name=name).first())
            except Exception:
                # Redis or the database went away: keep trying, apps keep running meanwhile.
                log.exception("reconciler pass failed; retrying")
                close_old_connections()
                should_stop.wait(interval)

    def reconcile_all(self) -> None:
        close_old_connections()
        apps = list(App.objects.all())
        for app in apps:
            self._reconcile_safely(app)
        try:
            self._sweep_orphans({app.name for app in apps})
        except BackendError as error:
            log.warning("looking for leftover containers: %s", error)
        # Config changes and rollbacks whose queued rollout Redis lost (it was down, or restarted empty).
        job_queue.stranded_rollouts_queue()
        builds_sweep()  # builds whose worker died with no push watching

    def _sweep_orphans(self, names: set[str]) -> None:
        """Retire processes of apps that no longer exist under that name, a drain window after
        they were first seen: a renamed app's old processes (requests may still be on them), or
        what a failed deletion left. An app name whose rollout lock is held is being renamed
        right now: its processes are left alone, and their drain window starts when the rename
        is done (looked at on every pass, so a window never starts while it runs)."""
        now = time.monotonic()
        seen = set()
        for process in self.scheduler.processes(None):
            if process.app in names:
                continue
            seen.add(process.id)
            if name_rollout_lock_held(process.app):
                self.orphans.pop(process.id, None)  # its window starts at the first pass after
                continue
            if now - self.orphans.setdefault(process.id, now) < settings.PAAS_DRAIN_SECONDS:
                continue
            with name_rollout_lock(process.app, wait=False) as acquired:
                if acquired:
                    log.info("stopping %s of %s: no app has that name any more", process.label, process.app)
                    self.scheduler.retire([process])
                else:
                    self.orphans.pop(process.id, None)
        self.orphans = {pid: at for pid, at in self.orphans.items() if pid in seen}

    def _reconcile_safely(self, app: App | None) -> None:
        """One app's trouble (an engine error, a container removed meanwhile) must not stop the others."""
        if app is None:
            return
        try:
            self.reconcile_app(app)
        except (BackendError, routing.RouterError, config_crypto.ConfigKeyError) as error:
            log.warning("reconciling %s: %s", app.name, error)
        except Exception:
            log.exception("reconciling %s failed", app.name)

    def reconcile_app(self, app: App) -> None:
        with app_rollout_lock(app, wait=False) as acquired:
            if not acquired:
                return  # a rollout is changing it; the next pass looks again
            if not App.objects.filter(pk=app.pk, name=app.name).exists():
                # Deleted or renamed since this pass listed it (the change held the lock): under
                # the name the pass read, its processes would be started and its host name routed
                # anew. The next pass sees it as it is.
                return
            live = live_release(app)
            processes = self.scheduler.processes(app.name)
            others = [p for p in processes if live is None or p.release != live.version]
            self._dispose(app, others)
            # We hold the rollout lock: a release still deploying lost its rollout before it
            # started any process (_dispose ends those that did).
            Release.objects.filter(app=app, status=ReleaseStatus.DEPLOYING).update(
                status=ReleaseStatus.FAILED, failure_reason="the rollout was interrupted (its worker stopped)"
            )
            if live is not None:
                self._converge(app, live, [p for p in processes if p.release == live.version])

    # --- processes of other releases -------------------------------------------------------
    def _dispose(self, app: App, processes: list[Process]) -> None:
        versions = {p.release for p in processes}
        releases = {r.version: r for r in Release.objects.filter(app=app, version__in=versions)}
        now = timezone.now()
        for process in processes:
            release = releases.get(process.release)
            status = release.status if release else None
            if status == ReleaseStatus.RETIRED:
                retired_at = release.retired_at or now
                if (now - retired_at).total_seconds() >= settings.PAAS_DRAIN_SECONDS:
                    self.scheduler.retire([process])
            elif status in (ReleaseStatus.PENDING, ReleaseStatus.DEPLOYING):
                # We hold the rollout lock, so the rollout that started these has died.
                Release.objects.filter(pk=release.pk, status=status).update(
                    status=ReleaseStatus.FAILED, failure_reason="the rollout was interrupted (its worker stopped)"
                )
                self.scheduler.remove([process])
            else:  # failed, unknown, or a leftover release-phase process
                self.scheduler.remove([process])

    # --- the live release ---------------------------------------------------------------------
    def _converge(self, app: App, live: Release, current: list[Process]) -> None:
        rows = formation_ensure(app, live)
        if app_sleeping(app):
            if not may_sleep(rows):  # its autoscaling was turned off or given a min above 0
                self._wake(app)
                return
            # Its web processes sleep, kept for the wake: neither replaced nor retired.
            rows = {name: row for name, row in rows.items() if name != "web"}
            current = [p for p in current if p.process_type != "web"]
        wanted = wanted_slots(rows)
        slots, surplus = slot_holders(current, wanted)
        self.backoff = {key: b for key, b in self.backoff.items() if key[0] != app.name or key[1] == live.version}

        missing = []
        for process_type, index in sorted(wanted):
            row = rows[process_type]
            process = slots.get((process_type, index))
            if process is not None:
                state = self.scheduler.state(process)
                if state.running or state.restarting:
                    self._keep(process, row)
                    continue
                log.warning("%s %s exited (code %s); replacing it", app.name, process.label, state.exit_code)
                logstream.say(app.pk, "platform", f"{process.label} crashed (exit code {state.exit_code}), replacing it")
                self.scheduler.remove([process])
                del slots[(process_type, index)]
                self._note_crash((app.name, live.version, process.label))
            missing.append((process_type, index))
        if missing and self.scheduler.web_addresses(slots.values()):
            # The live web processes take the traffic while the dead ones' replacements start
            # (and pass their checks), which takes seconds.
            traffic_point(app, self.scheduler.web_addresses(slots.values()))

        plan = None
        for slot in missing:
            if plan is None:  # decrypting the config only when a process must start
                plan = release_plan(live, app)
            replacement = self._replace(app, plan, slot)
            if replacement is not None:
                slots[slot] = replacement

        traffic_point(app, self.scheduler.web_addresses(slots.values()))
        for process in surplus:  # after the router let go of them, and a drain window later
            self.scheduler.retire([process], after=settings.PAAS_DRAIN_SECONDS if process.process_type == "web" else 0)

    def _wake(self, app: App) -> None:
        try:
            app_wake(self.scheduler, app, "its formation no longer lets it sleep")
        except WakeFailed as error:
            log.warning("waking %s: %s", app.name, error)

    def _keep(self, process: Process, row) -> None:
        self.scheduler.fit_limits(process, memory_mb=row.memory_mb, cpus=row.cpus)
        key = (process.app, process.release, process.label)
        backoff = self.backoff.get(key)
        if backoff and time.monotonic() - backoff.last_start > HEALTHY_AFTER:
            del self.backoff[key]

    def _note_crash(self, key: tuple[str, int, str]) -> None:
        """A replacement that died soon after it started is a crash loop: back off."""
        backoff = self.backoff.setdefault(key, Backoff())
        if backoff.last_start and time.monotonic() - backoff.last_start < HEALTHY_AFTER:
            backoff.failures += 1
            backoff.next_try = time.monotonic() + min(2.0**backoff.failures, MAX_BACKOFF)

    def _replace(self, app: App, plan: ReleasePlan, slot: tuple[str, int]) -> Process | None:
        label = f"{slot[0]}.{slot[1]}"
        backoff = self.backoff.setdefault((app.name, plan.version, label), Backoff())
        now = time.monotonic()
        if now < backoff.next_try:
            return None
        backoff.last_start = now
        try:
            [process] = self.scheduler.start(plan, lambda line: None, slots=[slot])
        except BackendError as error:  # the scheduler removed what it started
            backoff.failures += 1
            delay = min(2.0 ** backoff.failures, MAX_BACKOFF)
            backoff.next_try = time.monotonic() + delay
            log.warning("%s %s did not start (%s); next try in %.0fs", app.name, label, error, delay)
            logstream.say(app.pk, "platform", f"{label} did not start ({error}); next try in {delay:.0f}s")
            return None
        log.info("%s %s of v%s started", app.name, label, plan.version)
        logstream.say(app.pk, "platform", f"{label} of v{plan.version} started")
        return process
