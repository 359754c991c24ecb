"""Deploying a pushed image: pull it by digest, make a release of it, roll it out.

Latest push wins: a notification is dropped (ignored, "superseded") whenever a newer push of
the app has been accepted, checked before the pull and again, under the receipts' lock, just
before the release is made. Releases are rolled out in version order, so the release of the
newest push is the one that ends up live."""
import logging

from django.db import IntegrityError, transaction

from applications.models import Release
from applications.rollout import release_roll_out_unwatched
from applications.services import release_create
from paas.logstream import platform_event
from registry.models import ImageNotification, NotificationStatus, TrackedImage
from registry.selectors import newest_accepted_push
from runtime.processes import BackendError
from runtime.scheduler import get_scheduler

log = logging.getLogger(__name__)

SUPERSEDED = "superseded by a newer push"
ALREADY_RELEASED = "this image was already received"
UNTRACKED = "the app no longer tracks this repository and tag"


def _untracked(notification: ImageNotification, tracked: TrackedImage | None) -> bool:
    """The app's image setting changed after this push was accepted: it is not what to deploy now."""
    return tracked is None or (tracked.repository, tracked.tag) != (notification.repository, notification.tag)


def _superseded(notification: ImageNotification) -> bool:
    newest = newest_accepted_push(notification.app_id, exclude_id=notification.pk)
    return newest is not None and newest > notification.pushed_at


def _finish(notification: ImageNotification, status: NotificationStatus, reason: str = "", release=None) -> None:
    notification.status, notification.reason, notification.release = status, reason, release
    notification.save(update_fields=["status", "reason", "release", "digest"])


def _release_or_ignore(notification: ImageNotification, digest: str) -> Release | None:
    """The release of the pulled image, or None (and the notification ignored) if a newer push
    was accepted meanwhile or, for Docker Hub, the digest turned out to be one already received."""
    with transaction.atomic():
        # The lock notifications_receive takes: no newer push can be accepted between this check
        # and the release, and two pulls that finish together release in the order of their pushes.
        tracked = TrackedImage.objects.select_for_update().filter(app_id=notification.app_id).first()
        if _untracked(notification, tracked):
            _finish(notification, NotificationStatus.IGNORED, UNTRACKED)
            platform_event(notification.app_id, f"Not deploying {notification.reference}: {UNTRACKED}")
            return None
        if notification.digest is None:  # Docker Hub: the pull told us which image this is
            notification.digest = digest
            try:
                with transaction.atomic():
                    notification.save(update_fields=["digest"])
            except IntegrityError:
                notification.digest = None
                _finish(notification, NotificationStatus.IGNORED, ALREADY_RELEASED)
                platform_event(notification.app_id, f"Image {notification.reference} is {digest}, already received: "
                                                    "nothing to deploy")
                return None
        if _superseded(notification):
            _finish(notification, NotificationStatus.IGNORED, SUPERSEDED)
            platform_event(notification.app_id, f"Not deploying {notification.reference}: a newer push came meanwhile")
            return None
        release = release_create(
            app=notification.app,
            image=notification.reference,  # repository@sha256:..., what the engine knows the image by
            process_types={"web": ""},
            description=f"Deploy image {notification.reference}",
            user=None,
            verb="deploy",
        )
        _finish(notification, NotificationStatus.RELEASED, release=release)
        return release


def _forget_pulled(image: str) -> None:
    """Remove an image pulled for nothing, unless a release of some app uses it."""
    if not Release.objects.filter(image=image).exists():
        try:
            get_scheduler().remove_image(image)
        except BackendError as error:
            log.warning("could not remove unused image %s: %s", image, error)


def _pull_and_release(notification: ImageNotification) -> Release | None:
    """The release of the pushed image, or None when there is nothing to deploy (and the
    notification says why)."""
    app_id = notification.app_id
    if _untracked(notification, TrackedImage.objects.filter(app_id=app_id).first()):
        _finish(notification, NotificationStatus.IGNORED, UNTRACKED)
        platform_event(app_id, f"Not pulling {notification.reference}: {UNTRACKED}")
        return None
    if _superseded(notification):
        _finish(notification, NotificationStatus.IGNORED, SUPERSEDED)
        platform_event(app_id, f"Not pulling {notification.reference}: a newer push was accepted")
        return None
    platform_event(app_id, f"Pulling {notification.reference}")
    try:
        digest = get_scheduler().pull_image(notification.repository, notification.digest or notification.tag)
    except BackendError as error:
        _finish(notification, NotificationStatus.FAILED, str(error))
        platform_event(app_id, f"Pull of {notification.reference} failed, nothing was deployed: {error}")
        return None
    release = _release_or_ignore(notification, digest)
    if release is None:
        _forget_pulled(f"{notification.repository}@{digest}")
    return release


def pushed_image_deploy(notification_id: int) -> None:
    # Taking the notification is one conditional update, so a job that runs twice pulls once.
    if not ImageNotification.objects.filter(pk=notification_id, status=NotificationStatus.QUEUED).update(
        status=NotificationStatus.PULLING
    ):
        return  # deleted with its app, or done already
    notification = ImageNotification.objects.select_related("app", "app__team").get(pk=notification_id)
    try:
        release = _pull_and_release(notification)
    except Exception as error:  # not left "pulling" for ever: the worker's log has the traceback
        _finish(notification, NotificationStatus.FAILED, f"internal error: {error!r}")
        raise
    if release is not None:
        release_roll_out_unwatched(release)
