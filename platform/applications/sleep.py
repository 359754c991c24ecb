"""Scale to zero: an app sleeps and wakes.

Asleep, its web processes are stopped but kept (a wake starts the same containers again, which
is faster than new ones), and the router sends its connections to the activator
(applications/traffic.py). A wake starts them again and checks them as a rollout does, then
routes to them; a web slot whose process is gone (removed behind the platform's back) gets a
new one. After a failed wake nothing of the app's web runs. Callers hold the app's rollout
lock: the autoscaler to put it to sleep, the activator and the reconciler to wake it."""
import dataclasses
import math
import time

from django.conf import settings
from django.utils import timezone

from applications.autoscale_rule import rule_of
from applications.formation import formation_ensure
from applications.models import App, Release
from applications.release_plan import release_plan
from applications.selectors import live_release
from applications.slots import slot_holders, wanted_slots
from applications.traffic import live_web_addresses, traffic_point
from paas import logstream
from runtime.healthcheck import CheckSettings
from runtime.processes import BackendError, Process
from runtime.scheduler import Address, Say, Scheduler

# A wake is watched by a held request: its checks poll this often (within the same deadline).
WAKE_CHECK_INTERVAL = 0.02
# Between the switch to the activator and the stop: a request that reached a web process just
# before the switch (the app was idle until then) finishes. Short, since the lock is held and a
# request arriving meanwhile waits for it.
SLEEP_GRACE_SECONDS = 1.0


class WakeFailed(Exception):
    """The app could not be woken; the message says why (a user reads it in the 503)."""


def app_sleeping(app: App) -> bool:
    return App.objects.filter(pk=app.pk, sleeping_since__isnull=False).exists()


def may_sleep(rows: dict) -> bool:
    """Whether the formation lets the app sleep: its web type autoscales with min 0."""
    rule = rule_of(rows["web"]) if "web" in rows else None
    return rule is not None and rule.scales_to_zero


def _web(scheduler: Scheduler, app: App, live: Release) -> tuple[dict, list[Process], set]:
    """The live release's web slot holders, the other web processes (superseded: they go), and
    the web slots the formation wants."""
    rows = formation_ensure(app, live)
    wanted = {slot for slot in wanted_slots(rows) if slot[0] == "web"}
    web = [p for p in scheduler.processes(app.name) if p.release == live.version and p.process_type == "web"]
    holders, others = slot_holders(web, wanted)
    return holders, others, wanted


def app_sleep(scheduler: Scheduler, app: App, reason: str) -> None:
    """Send the app's traffic to the activator, then stop its web processes."""
    live = live_release(app)
    if live is None:
        return
    App.objects.filter(pk=app.pk).update(sleeping_since=timezone.now())
    traffic_point(app, [])
    time.sleep(min(SLEEP_GRACE_SECONDS, settings.PAAS_DRAIN_SECONDS))
    holders, others, _ = _web(scheduler, app, live)
    scheduler.remove(others)
    scheduler.sleep(holders.values())
    logstream.say(app.pk, "platform", f"Sleeping: {reason}; the next request wakes it")


def wake_checks(checks: CheckSettings) -> CheckSettings:
    """The release's checks with the same deadline, polled often: a request waits on them."""
    if checks.interval <= WAKE_CHECK_INTERVAL:
        return checks
    attempts = math.ceil(checks.attempts * checks.interval / WAKE_CHECK_INTERVAL)
    return dataclasses.replace(checks, interval=WAKE_CHECK_INTERVAL, attempts=attempts)


def app_wake(scheduler: Scheduler, app: App, cause: str, say: Say | None = None) -> list[Address]:
    """Wake the app if it sleeps; the addresses of its web processes. WakeFailed if they did not
    start or pass their checks: the app sleeps on, nothing of its web running."""
    if not app_sleeping(app):
        return live_web_addresses(scheduler, app)
    live = live_release(app)
    if live is None:
        raise WakeFailed(f"{app.name} has no live release to wake")
    began = time.monotonic()
    plan = release_plan(live, app)
    plan = dataclasses.replace(plan, checks=wake_checks(plan.checks))
    holders, others, wanted = _web(scheduler, app, live)
    scheduler.remove(others)
    quiet = say or (lambda line: None)
    woken: list[Process] = []
    try:
        woken = scheduler.wake(plan, [holders[slot] for slot in sorted(holders)], quiet)
        if missing := sorted(wanted - set(holders)):
            woken += scheduler.start(plan, quiet, slots=missing)
    except BackendError as error:
        scheduler.sleep(woken)
        logstream.say(app.pk, "platform", f"Wake failed ({cause}): {error}")
        raise WakeFailed(str(error).splitlines()[0]) from None
    addresses = scheduler.web_addresses(woken)
    App.objects.filter(pk=app.pk).update(sleeping_since=None)
    traffic_point(app, addresses)
    labels = ", ".join(p.label for p in woken) or "no web process"
    logstream.say(app.pk, "platform", f"Woke {labels} of v{live.version} in {time.monotonic() - began:.2f}s ({cause})")
    return addresses
