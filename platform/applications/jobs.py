"""rq jobs for releases: they take ids and call the rollout."""
import logging

from applications.models import Release
from applications.rollout import RolloutFailed, deploy

log = logging.getLogger(__name__)


def deploy_release(release_id: int) -> None:
    release = Release.objects.select_related("app", "created_by").get(pk=release_id)
    try:
        deploy(release, log.info)
    except RolloutFailed as error:
        log.warning("%s v%s failed: %s", release.app.name, release.version, error)
