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
"""
from django.db import IntegrityError

from activity.services import activity_record
from applications import config_crypto
from applications.models import App
from applications.names import name_reserved
from applications.locks import RolloutFailed, app_rollout_lock
from applications.rollout import start_formation, web_addresses
from applications.selectors import live_release
from applications.services import app_name_checked
from builds.push_lock import push_in_progress
from observability import logstream
from paas.errors import Conflict
from router import routing
from runtime.backend import BackendError, Process, get_backend


def app_rename(*, app: App, user, name) -> App:
    new, old = app_name_checked(name), app.name
    if new == old:
        return app
    if push_in_progress(old):
        raise Conflict(f"a push to '{old}' is in progress; rename it when the push is done")
    backend = get_backend()
    with app_rollout_lock(app), name_reserved(new, backend):
        try:
            App.objects.filter(pk=app.pk).update(name=new)
        except IntegrityError:
            raise Conflict(f"app name '{new}' is already taken") from None
        app.name = new
        started: list[Process] = []
        try:
            live = live_release(app)
            if live is not None:
                live.app = app  # its processes carry the new name
                env = config_crypto.decrypt(live.config_ciphertext)
                start_formation(backend, live, env, lambda line: None, started)
            routing.rename(old, new, app.pk, web_addresses(started))
        except (RolloutFailed, BackendError, routing.RouterError) as error:
            for process in started:
                backend.remove(process)
            App.objects.filter(pk=app.pk).update(name=old)
            app.name = old
            raise Conflict(f"could not start the processes under the new name ({error}); the app is still {old}") from None
        activity_record(team_id=app.team_id, app=app, actor=user, verb="settings", text=f"Renamed the app from {old} to {new}")
    logstream.say(app.pk, "platform", f"Renamed from {old} to {new} by {user.get_username()}")
    return app
