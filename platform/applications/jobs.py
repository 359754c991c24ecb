"""rq jobs for releases and for the app operations that wait for its rollout lock (restart,
rename, deletion, the maintenance switch): they take ids and call the service."""
from django.contrib.auth import get_user_model

from applications import maintenance, removal, rename, restart, traffic
from applications.models import App, Release
from applications.rollout import release_roll_out_unwatched
from paas import logstream
from paas.errors import UserError
from router.errors import RouterError
from runtime.processes import BackendError


def roll_out_release(release_id: int) -> None:
    release_roll_out_unwatched(Release.objects.select_related("app", "created_by").get(pk=release_id))


def restart_processes(app_id: int, which: str | None) -> None:
    app = App.objects.select_related("team").filter(pk=app_id).first()
    if app is not None:  # deleted meanwhile: nothing to restart
        restart.restart(app, which)


def traffic_repoint(app_id: int) -> None:
    app = App.objects.filter(pk=app_id).first()
    if app is not None:
        maintenance.traffic_repoint(app)


def traffic_reroute(app_id: int) -> None:
    """An app's domains, certificates or HTTPS settings changed: the router serves them."""
    app = App.objects.filter(pk=app_id).first()
    if app is not None:
        traffic.traffic_reroute(app)


def rename_app(app_id: int, name: str, user_id: int) -> None:
    app = App.objects.select_related("team").filter(pk=app_id).first()
    if app is None:
        return
    try:
        rename.app_rename(app=app, user=get_user_model().objects.get(pk=user_id), name=name)
    except UserError as error:
        logstream.say(app.pk, "platform", f"Rename to {name} failed: {error}")


def delete_app(app_id: int, user_id: int) -> None:
    app = App.objects.select_related("team").filter(pk=app_id).first()
    if app is None:  # deleted already: the job ran twice
        return
    try:
        removal.app_delete(app=app, user=get_user_model().objects.filter(pk=user_id).first())
    except (BackendError, RouterError) as error:
        logstream.say(app.pk, "platform", f"Deleting the app failed: {error}; it is still there, delete it again")
