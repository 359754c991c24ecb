"""Writes for tracked images: the app's setting, its webhook and token, and receiving notifications."""
import hmac
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from activity.services import activity_record
from applications.config_crypto import decrypt_secret, encrypt_secret
from paas.logstream import platform_event
from paas.errors import UserError
from paas.queueing import enqueue_on_commit
from registry.models import DEFAULT_TAG, ImageNotification, NotificationStatus, TrackedImage
from registry.notifications import RegistryEvent, ignored_because
from registry.references import is_tag, repository_path, repository_problem
from registry.selectors import newest_accepted_push, tracked_image_of

# The app settings (PATCH /api/apps/APP) this module owns.
TRACKING_SETTINGS = ("image_repository", "image_tag")
ALREADY_RECEIVED = "this image was already received"
STALE = "older than the newest push accepted"
# A notification in one of these has its image on its way, or live: another one changes nothing.
IN_HAND = (NotificationStatus.QUEUED, NotificationStatus.PULLING, NotificationStatus.RELEASED)
# The deploy job's time limit. A notification still "pulling" after it lost its worker (killed
# with it): the next notification of that image takes it up again.
JOB_TIMEOUT = timedelta(hours=1)


def _new_token() -> str:
    return "whk_" + secrets.token_urlsafe(32)


def _tracked_image_ensure(app) -> TrackedImage:
    """The app's row, made (with a webhook id and token) the first time anything needs it."""
    tracked = tracked_image_of(app)
    if tracked is None:
        tracked, _ = TrackedImage.objects.get_or_create(
            app=app, defaults={"hook_id": secrets.token_hex(8), "token_ciphertext": encrypt_secret(_new_token())}
        )
        app.tracked_image = tracked
    return tracked


def _repository_checked(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or not value:
        raise UserError('"image_repository" must be a repository such as "127.0.0.1:5000/shop", or null to stop tracking')
    problem = repository_problem(value)
    if problem:
        raise UserError(f'"image_repository" {value[:80]!r} is not usable: {problem}')
    return value


def _tag_checked(value) -> str:
    if value is None:
        return DEFAULT_TAG
    if not isinstance(value, str) or not is_tag(value):
        raise UserError('"image_tag" must be a tag such as "latest": letters, digits, "_", "." and "-", '
                        "at most 128, not starting with \".\" or \"-\"")
    return value


def image_tracking_update(*, app, user, changes: dict) -> TrackedImage | None:
    """Set (or with a null repository, stop) the image the app deploys from registry pushes.

    `changes` holds "image_repository" and/or "image_tag"; a null tag goes back to "latest"."""
    tracked = tracked_image_of(app)
    current_repository, current_tag = (tracked.repository, tracked.tag) if tracked else ("", DEFAULT_TAG)
    repository = _repository_checked(changes["image_repository"]) if "image_repository" in changes else current_repository
    if "image_tag" in changes:
        tag = _tag_checked(changes["image_tag"])
        if not repository:
            raise UserError('"image_tag" needs an "image_repository": the app tracks no image')
    else:
        tag = current_tag if repository else DEFAULT_TAG
    if (repository, tag) == (current_repository, current_tag):
        return tracked
    with transaction.atomic():
        tracked = _tracked_image_ensure(app)
        tracked.repository, tracked.tag = repository, tag
        tracked.save(update_fields=["repository", "tag"])
        text = (f"Deploys pushes of image {repository}:{tag}" if repository
                else f"Stopped deploying pushes of image {current_repository}:{current_tag}")
        activity_record(team_id=app.team_id, app=app, actor=user, verb="settings", text=text)
    return tracked


def webhook_get(*, app) -> TrackedImage:
    """The app's registry webhook, made on first use."""
    return _tracked_image_ensure(app)


def webhook_rotate(*, app, user) -> TrackedImage:
    """A new webhook token; the old one stops working at once (the URL stays)."""
    with transaction.atomic():
        tracked = _tracked_image_ensure(app)
        tracked.token_ciphertext = encrypt_secret(_new_token())
        tracked.save(update_fields=["token_ciphertext"])
        activity_record(team_id=app.team_id, app=app, actor=user, verb="settings", text="Rotated the registry webhook token")
    return tracked


def webhook_token(tracked: TrackedImage) -> str:
    return decrypt_secret(tracked.token_ciphertext)


def webhook_token_matches(tracked: TrackedImage, presented: str | None) -> bool:
    # Constant time: a comparison that stops at the first wrong character tells how many were right.
    return bool(presented) and hmac.compare_digest(presented.encode(), webhook_token(tracked).encode())


@dataclass
class Receipt:
    """What one webhook call did: how many events it accepted, and why it ignored the others."""

    accepted: int = 0
    ignored: Counter = field(default_factory=Counter)

    def as_json(self) -> dict:
        return {"accepted": self.accepted, "ignored": sum(self.ignored.values()), "ignored_because": dict(self.ignored)}


def _enqueue_on_commit(notification: ImageNotification) -> None:
    enqueue_on_commit(settings.PAAS_DEPLOY_QUEUE, "registry.jobs.deploy_pushed_image", notification.pk,
                      job_timeout=int(JOB_TIMEOUT.total_seconds()))


def _accept(notification: ImageNotification) -> None:
    what = notification.digest or "its digest comes with the pull"
    platform_event(notification.app_id, f"Image received: {notification.repository}:{notification.tag} ({what}), "
                                        f"pushed at {notification.pushed_at.isoformat()}")
    _enqueue_on_commit(notification)


def _record(tracked: TrackedImage, event: RegistryEvent) -> str | None:
    """Record a push of the tracked image; why it is ignored, or None if it is accepted (and queued)."""
    app_id = tracked.app_id
    existing = ImageNotification.objects.filter(app_id=app_id, digest=event.digest).first() if event.digest else None
    newest = newest_accepted_push(app_id, exclude_id=existing.pk if existing else None)
    stale = newest is not None and event.pushed_at < newest
    if existing is not None:
        # One digest, one release: a retried or replayed notification changes nothing. Only an
        # image that never got its chance (stale, superseded, its pull failed) gets another one,
        # when a push of it is now the newest.
        if existing.status == NotificationStatus.QUEUED:
            # Its job may never have been queued (Redis refused it, and the registry retries):
            # queue it again. The job takes a notification once, so a second job does nothing.
            _enqueue_on_commit(existing)
            return ALREADY_RECEIVED
        abandoned = existing.status == NotificationStatus.PULLING and existing.received_at < timezone.now() - JOB_TIMEOUT
        if existing.status in IN_HAND and not abandoned:
            return ALREADY_RECEIVED
        if stale:
            return STALE
        existing.repository, existing.tag = tracked.repository, event.tag
        existing.pushed_at, existing.event_id = event.pushed_at, event.event_id
        existing.status, existing.reason, existing.received_at = NotificationStatus.QUEUED, "", timezone.now()
        existing.save(update_fields=["repository", "tag", "pushed_at", "event_id", "status", "reason", "received_at"])
        _accept(existing)
        return None
    notification = ImageNotification.objects.create(
        app_id=app_id, digest=event.digest, repository=tracked.repository, tag=event.tag, event_id=event.event_id,
        pushed_at=event.pushed_at, status=NotificationStatus.IGNORED if stale else NotificationStatus.QUEUED,
        reason=STALE if stale else "",
    )
    if stale:
        platform_event(app_id, f"Ignored image {notification.reference} pushed at {event.pushed_at.isoformat()}: "
                               "a newer push was already accepted")
        return STALE
    _accept(notification)
    return None


def notifications_receive(*, tracked: TrackedImage, events: list[RegistryEvent]) -> Receipt:
    """Record the pushes of the tracked image among `events` and queue their deploys."""
    receipt = Receipt()
    with transaction.atomic():
        # One receipt per app at a time (registries deliver concurrently and retry): the stale
        # check and the insert of each must see the others' rows.
        tracked = TrackedImage.objects.select_for_update().get(pk=tracked.pk)
        path = repository_path(tracked.repository) if tracked.repository else ""
        for event in events:
            reason = ignored_because(event, repository_path=path, tag=tracked.tag)
            if reason is None:
                reason = _record(tracked, event)
            if reason is None:
                receipt.accepted += 1
            else:
                receipt.ignored[reason] += 1
    return receipt
