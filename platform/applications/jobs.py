"""rq jobs for releases and restarts: they take ids and call the rollout or the restart."""
from applications import restart
from applications.models import App, Release
from applications.rollout import release_roll_out_unwatched


def deploy_release(release_id: int) -> None:
    release_roll_out_unwatched(Release.objects.select_related("app", "created_by").get(pk=release_id))


def restart_processes(app_id: int, which: str | None) -> None:
    app = App.objects.select_related("team").filter(pk=app_id).first()
    if app is not None:  # deleted meanwhile: nothing to restart
        restart.restart(app, which)
