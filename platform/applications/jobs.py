"""rq jobs for releases and restarts: they take ids and call the rollout or the restart."""
import logging

from applications import restart
from applications.models import App, Release
from applications.locks import RolloutFailed
from applications.rollout import deploy

log = logging.getLogger(__name__)


def deploy_release(release_id: int) -> None:
    release = Release.objects.select_related("app", "created_by").get(pk=release_id)
    try:
        deploy(release, log.info)
    except RolloutFailed as error:
        log.warning("%s v%s failed: %s", release.app.name, release.version, error)


def restart_processes(app_id: int, which: str | None) -> None:
    app = App.objects.select_related("team").filter(pk=app_id).first()
    if app is not None:  # deleted meanwhile: nothing to restart
        restart.restart(app, which)
