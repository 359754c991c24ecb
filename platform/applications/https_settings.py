"""An app's HTTPS settings: plain HTTP sent to HTTPS (a 308, for the names that have a
certificate) and HSTS, both off by default as on Heroku. A change is served by re-routing the
app on a worker, under its rollout lock (applications/traffic.py)."""
from django.db import transaction

from activity.services import activity_record
from applications import job_queue
from applications.models import App
from paas.errors import UserError

HTTPS_SETTINGS = {
    "redirect_https": "Plain HTTP is sent to HTTPS",
    "hsts": "HTTPS answers carry Strict-Transport-Security",
}


def app_https_set(*, app: App, user, changes: dict) -> bool:
    """Set redirect_https and/or hsts; False if nothing changed (nothing queued)."""
    for name, value in changes.items():
        if not isinstance(value, bool):
            raise UserError(f'"{name}" must be true or false')
    changed = {name: value for name, value in changes.items() if getattr(app, name) != value}
    if not changed:
        return False
    with transaction.atomic():
        for name, value in changed.items():
            setattr(app, name, value)
        app.save(update_fields=list(changed))
        for name, value in changed.items():
            text = f"{HTTPS_SETTINGS[name]}: {'on' if value else 'off'}"
            activity_record(team_id=app.team_id, app=app, actor=user, verb="https", text=text)
        job_queue.enqueue_app_job_on_commit("traffic_reroute", app.pk)
    return True
