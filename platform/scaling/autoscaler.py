"""The autoscaler (`manage.py autoscale`): every PAAS_AUTOSCALE_INTERVAL seconds, each app whose
web type has an autoscale rule gets the quantity its load asks for (scaling/decisions.py).

A change of quantity is a formation change like a user's (the reconciler starts the new
processes with their checks, and drains and stops the ones scaled away), logged as a platform
line and an activity entry. Sleep is done here, under the app's rollout lock (an app being
rolled out is looked at again next time); waking is the activator's, on the next request.
"""
import logging
import os
import threading
import time

from django.conf import settings
from django.db import close_old_connections, transaction

from activity.services import activity_record
from applications import job_queue
from applications.autoscale_rule import rule_of
from applications.locks import app_rollout_lock
from applications.models import App, Formation
from applications.sleep import app_sleep
from observability import router_load
from observability.metrics_store import MetricsUnavailable
from paas import heartbeat, logstream
from runtime.processes import BackendError
from runtime.scheduler import Scheduler, get_scheduler
from scaling.decisions import Decision, Load, decide

log = logging.getLogger(__name__)


class Autoscaler:
    def __init__(self, scheduler: Scheduler | None = None) -> None:
        self._scheduler = scheduler
        # App id -> when a pass first saw it awake since it last slept (or since this process
        # started): an app that just woke, or was just given a rule, gets its idle window whole.
        self.awake_since: dict[int, float] = {}
        self.changed_at: dict[int, float] = {}  # app id -> when this process last changed its quantity

    @property
    def scheduler(self) -> Scheduler:
        if self._scheduler is None:
            self._scheduler = get_scheduler()
        return self._scheduler

    def run_forever(self, should_stop: threading.Event) -> None:
        interval = settings.PAAS_AUTOSCALE_INTERVAL
        while not should_stop.is_set():
            try:
                heartbeat.beat("autoscaler", os.getpid(), ttl=interval * 3 + 30)
                self.pass_once()
            except Exception:
                log.exception("autoscaler pass failed; retrying")
                close_old_connections()
            should_stop.wait(interval)

    def pass_once(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        rows = Formation.objects.filter(process_type="web", autoscale__isnull=False).select_related("app")
        autoscaled = set()
        for row in rows:
            autoscaled.add(row.app_id)
            try:
                self._look_at(row, now)
            except (MetricsUnavailable, BackendError) as error:
                log.warning("autoscaling %s: %s", row.app.name, error)
        self.awake_since = {app_id: at for app_id, at in self.awake_since.items() if app_id in autoscaled}
        self.changed_at = {app_id: at for app_id, at in self.changed_at.items() if app_id in autoscaled}

    def _look_at(self, row: Formation, now: float) -> None:
        app, rule = row.app, rule_of(row)
        if app.sleeping_since is not None or app.maintenance:
            self.awake_since.pop(app.pk, None)
            return
        awake_since = self.awake_since.setdefault(app.pk, now)
        up, down = settings.PAAS_AUTOSCALE_UP_SECONDS, settings.PAAS_AUTOSCALE_DOWN_SECONDS
        # Whole seconds that have ended, one left for the router's log to reach the counters.
        end = int(now) - 1
        last = router_load.last_request(app.pk)
        load = Load(
            recent=router_load.in_flight(app.pk, end - int(up), end),
            latest=router_load.in_flight(app.pk, end - 1, end),
            settled=router_load.in_flight(app.pk, end - int(down), end),
            idle=now - max(last + 1 if last is not None else 0, awake_since),
            up_window=up,
            down_window=down,
            since_change=now - self.changed_at.get(app.pk, 0.0),
        )
        decision = decide(rule, row.quantity, load)
        if decision is None:
            return
        if decision.quantity == 0:
            self._sleep(app, decision)
        else:
            self._scale(row, decision)
            self.changed_at[app.pk] = now

    def _scale(self, row: Formation, decision: Decision) -> None:
        app = row.app
        text = f"Scaled web from {row.quantity} to {decision.quantity}: {decision.reason}"
        with transaction.atomic():
            # Only while the rule still holds: a user's manual scale meanwhile turned it off.
            changed = Formation.objects.filter(pk=row.pk, autoscale__isnull=False, quantity=row.quantity).update(
                quantity=decision.quantity
            )
            if not changed:
                return
            logstream.platform_event(app.pk, text)
            activity_record(team_id=app.team_id, app=app, verb="scale", text=text[:300])
            transaction.on_commit(lambda: job_queue.wake_reconciler(app.name))
        log.info("%s: %s", app.name, text)

    def _sleep(self, app: App, decision: Decision) -> None:
        with app_rollout_lock(app, wait=False) as acquired:
            if not acquired:
                return  # a rollout, restart or wake is under way: the next pass looks again
            app.refresh_from_db(fields=["sleeping_since", "maintenance"])
            if app.sleeping_since is not None or app.maintenance:
                return
            with transaction.atomic():
                # It wakes with one web process; the autoscaler adds more if its load asks.
                Formation.objects.filter(app=app, process_type="web", autoscale__isnull=False).update(quantity=1)
                activity_record(team_id=app.team_id, app=app, verb="scale", text=f"Slept: {decision.reason}"[:300])
            app_sleep(self.scheduler, app, decision.reason)
        self.awake_since.pop(app.pk, None)
        log.info("%s sleeps: %s", app.name, decision.reason)
