"""Renaming an app (Heroku's `apps:rename`): a new host name, a new git remote, the same app.

Containers carry their app's name, so the live release is started again under the new name
beside the old processes, blue/green: web processes must pass the health check before the
router sends the new host name to them. Then the old host name stops being served; the old
processes belong to no app now, and the reconciler stops them a drain window later. Releases,
builds, config, logs, metrics, activity and the git repository stay with the app (they are
keyed by its id). If the new processes fail, the rename is undone and the app goes on as it was.

Both names stay reserved (applications/names.py) for as long as the rename runs: the old one
until nothing of the app answers to it (and then while its old processes stop), the new one so
that nothing else takes it, and no reconciler pass acts on the app while its processes start.

The request checks the name and queues the rename (202); a job on the deploys queue does it,
since it waits for the app's rollout lock and runs a blue/green start: its progress and, if it
fails, the reason are in the app's log stream.
"""
from django.db import IntegrityError

from activity.services import activity_record
from applications import config_crypto, job_queue
from applications.models import App
from applications.names import name_available, name_reserved
from applications.locks import app_rollout_lock
from applications.release_plan import release_plan
from applications.selectors import live_release
from applications.services import app_name_checked
from applications.traffic import traffic_point
from builds.push_lock import push_in_progress
from paas import logstream
from paas.errors import Conflict
from router import routing
from runtime.processes import BackendError, Process
from runtime.scheduler import get_scheduler


def _refusal(app: App, new: str) -> None:
    if push_in_progress(app.name):
        raise Conflict(f"a push to '{app.name}' is in progress; rename it when the push is done")


def app_rename_request(*, app: App, user, name) -> str:
    """Check the new name (a 4xx error now if it cannot be had) and queue the rename; the name
    the app will have. The same checks run again, under the lock, when the job starts."""
    new = app_name_checked(name)
    if new == app.name:
        return new
    _refusal(app, new)
    name_available(new, get_scheduler())
    logstream.say(app.pk, "platform", f"Renaming to {new} ({user.get_username()})")
    job_queue.enqueue_app_job_on_commit("rename_app", app.pk, new, user.pk)
    return new


def app_rename(*, app: App, user, name: str) -> App:
    """Rename the app (the job behind app_rename_request); Conflict, with the app unchanged, if
    the name was taken meanwhile or its processes did not start under it."""
    new, old = app_name_checked(name), app.name
    if new == old:
        return app
    _refusal(app, new)
    scheduler = get_scheduler()
    with app_rollout_lock(app), name_reserved(new, scheduler):
        try:
            App.objects.filter(pk=app.pk).update(name=new)
        except IntegrityError:
            raise Conflict(f"app name '{new}' is already taken") from None
        app.name = new
        started: list[Process] = []
        try:
            live = live_release(app)
            if live is not None:  # its processes carry the new name; the router serves it by the new host name only
                started = scheduler.start(release_plan(live, app), lambda line: logstream.say(app.pk, "platform", line))
                traffic_point(app, scheduler.web_addresses(started))
        except (BackendError, routing.RouterError, config_crypto.ConfigKeyError) as error:
            scheduler.remove(started)
            App.objects.filter(pk=app.pk).update(name=old)
            app.name = old
            raise Conflict(f"could not start the processes under the new name ({error}); the app is still {old}") from None
        activity_record(team_id=app.team_id, app=app, actor=user, verb="settings", text=f"Renamed the app from {old} to {new}")
    logstream.say(app.pk, "platform", f"Renamed from {old} to {new} by {user.get_username()}")
    return app
