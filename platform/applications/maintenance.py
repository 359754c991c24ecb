"""Maintenance mode (Heroku's `maintenance:on`): the router answers 503 for the app while its
processes keep running; switching it is as atomic as a release switch, and needs no reload.

The request records the switch; a job on the deploys queue points the router, under the app's
rollout lock, so it is ordered with rollouts and reconciler passes (each of which routes by the
flag as the database has it then: applications/traffic.py) and no request waits for that lock."""
from django.db import transaction

from activity.services import activity_record
from applications import job_queue
from applications.models import App
from applications.traffic import traffic_reroute
from paas import logstream
from paas.logstream import platform_event
from paas.errors import UserError


def app_maintenance_set(*, app: App, user, on) -> bool:
    """Switch maintenance mode; False if it already was `on` (nothing queued)."""
    if not isinstance(on, bool):
        raise UserError('"maintenance" must be true or false')
    if app.maintenance == on:
        return False
    with transaction.atomic():
        app.maintenance = on
        app.save(update_fields=["maintenance"])
        text = f"Turned maintenance mode {'on' if on else 'off'}"
        activity_record(team_id=app.team_id, app=app, actor=user, verb="maintenance", text=text)
        platform_event(app.pk, f"{text} ({user.get_username()})")
        job_queue.enqueue_app_job_on_commit("traffic_repoint", app.pk)
    return True


def traffic_repoint(app: App) -> None:
    """Point the app's traffic where its maintenance mode now says (the job behind the switch)."""
    if not traffic_reroute(app):
        return  # never routed: its first rollout's route honours the flag
    app.refresh_from_db(fields=["maintenance"])
    state = "on: the router answers 503" if app.maintenance else "off: the web processes serve again"
    logstream.say(app.pk, "platform", f"Maintenance mode is {state}")
