"""Restarting an app's processes (Heroku's `ps:restart`), without dropping requests.

Each chosen process gets a replacement of the same release beside it. New web processes must
pass the health check before the router sends them traffic; then the old ones are surplus in
their slots, and the reconciler (which keeps the newest container of a slot) stops them a drain
window later. If a replacement fails, it is removed and the old processes serve on. No release
is made, as on Heroku.
"""
import re

from django.db import transaction

from activity.services import activity_record
from applications import config_crypto, job_queue
from applications.formation import formation_ensure
from applications.models import App
from applications.locks import app_rollout_lock
from applications.release_plan import release_plan
from applications.selectors import live_release
from applications.slots import slot_holders
from applications.traffic import traffic_point
from paas import logstream
from paas.logstream import platform_event
from paas.errors import Missing, UserError
from router import routing
from runtime.processes import BackendError, Process
from runtime.scheduler import get_scheduler

DYNO = re.compile(r"(?P<type>[A-Za-z0-9_-]+)(?:\.(?P<index>[1-9][0-9]*))?")


def _chosen(process: Process, which: str | None) -> bool:
    return which is None or which in (process.process_type, process.label)


def restart_request(*, app: App, user, which: str | None) -> str:
    """Check what to restart (all processes, a type `web`, or one `web.2`), record it and queue
    the restart; returns what will be restarted, as the user would say it."""
    live = live_release(app)
    if live is None:
        raise UserError(f"'{app.name}' has no live release; there is nothing to restart")
    if which is not None:
        match = DYNO.fullmatch(which)
        rows = formation_ensure(app, live)
        row = rows.get(match["type"]) if match else None
        if row is None or (match["index"] and int(match["index"]) > row.quantity):
            raise Missing(f"'{app.name}' runs no process '{which}' (see its formation)")
    what = which or "all processes"
    with transaction.atomic():
        activity_record(team_id=app.team_id, app=app, actor=user, verb="restart", text=f"Restarted {what}")
        platform_event(app.pk, f"Restart of {what} requested by {user.get_username()}")
        job_queue.enqueue_app_job_on_commit("restart_processes", app.pk, which)
    return what


def restart(app: App, which: str | None) -> None:
    """Replace the chosen processes of the live release (the job behind restart_request)."""
    scheduler = get_scheduler()

    def tell(text: str) -> None:
        logstream.say(app.pk, "platform", text)

    with app_rollout_lock(app):
        live = live_release(app)
        if live is None:
            return
        started: list[Process] = []
        try:
            plan = release_plan(live, app)
            # The slots' holders only, in slot order: a process an earlier restart superseded, or
            # of a slot (or a type) the formation dropped, drains and goes.
            holders, _ = slot_holders(
                (p for p in scheduler.processes(app.name) if p.release == live.version), set(plan.slots())
            )
            current = [holders[slot] for slot in sorted(holders)]
            chosen = [p for p in current if _chosen(p, which)]
            started = scheduler.start(plan, tell, slots=[(p.process_type, p.index) for p in chosen])
            # Not a stopped one (a sleeping app's, when only its workers restart): routing it would
            # call the app awake with nothing answering.
            kept = [p for p in current if p.process_type == "web" and p not in chosen and scheduler.state(p).running]
            traffic_point(app, scheduler.web_addresses([*kept, *started]))
        except (BackendError, routing.RouterError, config_crypto.ConfigKeyError) as error:
            scheduler.remove(started)
            tell(f"Restart failed: {error}; the running processes were left as they were")
            return
        tell(f"Restarted {', '.join(p.label for p in started) or 'nothing'} of v{live.version}")
    job_queue.wake_reconciler(app.name)  # it retires the replaced processes after the drain window
