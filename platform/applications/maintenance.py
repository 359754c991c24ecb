"""Maintenance mode (Heroku's `maintenance:on`): the router answers 503 for the app while its
processes keep running; switching it is as atomic as a release switch, and needs no reload."""
from django.db import transaction

from activity.services import activity_record
from applications.models import App
from applications.locks import app_rollout_lock
from applications.selectors import live_release
from applications.traffic import live_web_addresses, traffic_point
from paas.logstream import platform_event
from paas.errors import UserError
from runtime.scheduler import get_scheduler


def app_maintenance_set(*, app: App, user, on) -> App:
    if not isinstance(on, bool):
        raise UserError('"maintenance" must be true or false')
    if app.maintenance == on:
        return app
    # Under the rollout lock, so the live web processes read here are the ones a rollout or
    # the reconciler would have routed.
    with app_rollout_lock(app):
        with transaction.atomic():
            app.maintenance = on
            app.save(update_fields=["maintenance"])
            text = f"Turned maintenance mode {'on' if on else 'off'}"
            activity_record(team_id=app.team_id, app=app, actor=user, verb="maintenance", text=text)
            platform_event(app.pk, f"{text} ({user.get_username()})")
        if live_release(app) is not None:  # else its first rollout's route honours it
            traffic_point(app, live_web_addresses(get_scheduler(), app))
    return app
