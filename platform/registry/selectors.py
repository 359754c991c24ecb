"""Reads for tracked images and their webhooks."""
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Max

from registry.models import ImageNotification, NotificationStatus, TrackedImage


def tracked_image_of(app) -> TrackedImage | None:
    """The app's row, from select_related("tracked_image") when the caller made one (app lists)."""
    try:
        return app.tracked_image
    except ObjectDoesNotExist:
        return None


def tracking(app) -> tuple[str | None, str | None]:
    """(repository, tag) the app deploys from, or (None, None) when it tracks no image."""
    tracked = tracked_image_of(app)
    if tracked is None or not tracked.repository:
        return None, None
    return tracked.repository, tracked.tag


def hook_for(hook_id: str) -> TrackedImage | None:
    return TrackedImage.objects.select_related("app").filter(hook_id=hook_id).first()


def webhook_url(tracked: TrackedImage) -> str:
    return f"http://{settings.PAAS_WEB_HOST}:{settings.PAAS_WEB_PORT}/hooks/registry/{tracked.hook_id}"


def newest_accepted_push(app_id: int, *, exclude_id: int | None = None):
    """When the newest push the app accepted (queued, pulling, released or failed) happened;
    None if it accepted none. A push older than that must never go live."""
    accepted = ImageNotification.objects.filter(app_id=app_id).exclude(status=NotificationStatus.IGNORED)
    if exclude_id is not None:
        accepted = accepted.exclude(pk=exclude_id)
    return accepted.aggregate(newest=Max("pushed_at"))["newest"]
