"""Image retention: keep the images of the last K releases (PAAS_KEEP_RELEASES) for rollback."""
import logging

from django.conf import settings

from applications.models import App
from runtime.scheduler import get_scheduler

log = logging.getLogger(__name__)


def images_prune(app: App) -> list[str]:
    """Remove images that only releases older than the last K use."""
    releases = list(app.releases.order_by("-version").values_list("image", "status"))
    keep = {image for image, _ in releases[: settings.PAAS_KEEP_RELEASES]}
    keep |= {image for image, status in releases if status in ("live", "pending", "deploying")}
    candidates = {image for image, _ in releases[settings.PAAS_KEEP_RELEASES :]}
    backend = get_scheduler()
    removed = [image for image in sorted(candidates - keep) if backend.remove_image(image)]
    if removed:
        log.info("pruned %d old image(s) of %s", len(removed), app.name)
    return removed
