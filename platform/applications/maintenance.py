"""Maintenance mode (Heroku's `maintenance:on`): the router answers 503 for the app while its
processes keep running; switching it is as atomic as a release switch, and needs no reload."""
from django.db import transaction

from activity.services import activity_record
from applications.models import App
from applications.locks import app_rollout_lock
from applications.rollout import running_processes, web_addresses
from applications.selectors import live_release
from observability.events import platform_event
from paas.errors import UserError
from router import routing
from runtime.backend import get_backend


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
        live = live_release(app)
        running = running_processes(get_backend(), app, live) if live is not None else []
        routing.set_maintenance(app.name, app.pk, on, web_addresses(running))
    return app
