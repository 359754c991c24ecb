"""What a registry's webhook says, read from its JSON: Docker Registry v2 notification envelopes
and Docker Hub webhooks become a list of `RegistryEvent`s, and `ignored_because` says which of
them do not concern the image an app tracks. No database here: services.py records the rest."""
import math
from dataclasses import dataclass
from datetime import datetime, timezone

from paas.errors import UserError
from registry.references import is_digest, is_tag

ENVELOPE_MEDIA_TYPE = "application/vnd.docker.distribution.events.v1+json"
# An image's manifest (Docker's and OCI's, single-platform or a list/index of them). Layer and
# config blobs are pushed as application/octet-stream, and the manifest push comes last.
MANIFEST_MEDIA_TYPES = frozenset({
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
})
# Docker Hub's webhook is about a pushed tag, never a blob: it counts as a manifest push.
HUB_MEDIA_TYPE = "docker-hub-push"

# Why an event is ignored, as the webhook's answer counts them.
NOT_TRACKING = "the app tracks no image"
NOT_A_PUSH = "not a push"
NOT_A_MANIFEST = "not a manifest (a layer or config blob)"
OTHER_REPOSITORY = "another repository"
NO_TAG = "pushed by digest, with no tag"
OTHER_TAG = "another tag"


@dataclass(frozen=True)
class RegistryEvent:
    action: str  # push, pull, mount, delete
    media_type: str
    repository: str  # without the registry host, as registries name it: "shop", "user/name"
    tag: str  # "" when the event names none (blobs, pushes by digest)
    digest: str | None  # None: Docker Hub, whose webhook carries none
    pushed_at: datetime
    event_id: str = ""


def _field(mapping: dict, name: str, where: str, kind: type, *, required: bool = True):
    value = mapping.get(name)
    if value is None:
        if required:
            raise UserError(f"{where}.{name} is missing")
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise UserError(f"{where}.{name} must be a {'string' if kind is str else 'JSON object'}")
    return value


def _timestamp(text: str, where: str) -> datetime:
    try:
        # Registries write nanoseconds (2026-01-02T03:04:05.123456789Z): Python keeps microseconds.
        moment = datetime.fromisoformat(text)
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise UserError(f"{where}.timestamp is not an ISO 8601 time: {text[:40]!r}") from None


def _registry_event(raw, where: str, received_at: datetime) -> RegistryEvent:
    if not isinstance(raw, dict):
        raise UserError(f"{where} must be a JSON object")
    action = _field(raw, "action", where, str)
    if action != "push":
        # Pulls, mounts and deletes are ignored whatever else they carry (a tag delete names no
        # digest): refusing the envelope would make the registry retry it, holding back the
        # pushes queued behind it.
        return RegistryEvent(action=action, media_type="", repository="", tag="", digest=None, pushed_at=received_at)
    target = _field(raw, "target", where, dict)
    digest = _field(target, "digest", f"{where}.target", str)
    if not is_digest(digest):
        raise UserError(f'{where}.target.digest must be "sha256:" and 64 hex digits, not {digest[:80]!r}')
    return RegistryEvent(
        action=action,
        media_type=_field(target, "mediaType", f"{where}.target", str),
        repository=_field(target, "repository", f"{where}.target", str),
        tag=_field(target, "tag", f"{where}.target", str, required=False) or "",
        digest=digest,
        pushed_at=_timestamp(_field(raw, "timestamp", where, str), where),
        event_id=(_field(raw, "id", where, str, required=False) or "")[:100],
    )


def _hub_event(body: dict, received_at: datetime) -> RegistryEvent:
    push_data = _field(body, "push_data", "the body", dict)
    repository = _field(body, "repository", "the body", dict)
    tag = _field(push_data, "tag", "push_data", str)
    if not is_tag(tag):
        raise UserError(f"push_data.tag is not an image tag: {tag[:80]!r}")
    pushed_at = push_data.get("pushed_at")
    if pushed_at is None:
        moment = received_at
    elif isinstance(pushed_at, bool) or not isinstance(pushed_at, (int, float)):
        raise UserError("push_data.pushed_at must be a time in unix seconds")
    else:
        try:  # math.isfinite of a 400-digit integer overflows too
            if not math.isfinite(pushed_at):
                raise ValueError(pushed_at)
            moment = datetime.fromtimestamp(pushed_at, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise UserError("push_data.pushed_at must be a time in unix seconds") from None
    return RegistryEvent(
        action="push",
        media_type=HUB_MEDIA_TYPE,
        repository=_field(repository, "repo_name", "repository", str),
        tag=tag,
        digest=None,
        pushed_at=moment,
    )


def events_from(body, *, received_at: datetime) -> list[RegistryEvent]:
    """The events of a Registry v2 envelope ({"events": [...]}) or of a Docker Hub webhook
    ({"push_data": ..., "repository": ...}); a UserError saying what is wrong with any other body."""
    if not isinstance(body, dict):
        raise UserError("the body must be a JSON object")
    if "events" in body:
        events = body["events"]
        if not isinstance(events, list):
            raise UserError('"events" must be a list of registry events')
        return [_registry_event(raw, f"events[{i}]", received_at) for i, raw in enumerate(events)]
    if "push_data" in body:
        return [_hub_event(body, received_at)]
    raise UserError('expected a Docker Registry notification envelope ({"events": [...]}) or a Docker Hub '
                    'webhook ({"push_data": {"tag": ...}, "repository": {"repo_name": ...}})')


def ignored_because(event: RegistryEvent, *, repository_path: str, tag: str) -> str | None:
    """Why the event is no push of the tracked repository (its path) and tag; None if it is one."""
    if not repository_path:
        return NOT_TRACKING
    if event.action != "push":  # pulls (the platform's own pull makes some), mounts, deletes
        return NOT_A_PUSH
    if event.media_type not in MANIFEST_MEDIA_TYPES and event.media_type != HUB_MEDIA_TYPE:
        return NOT_A_MANIFEST
    if event.repository != repository_path:
        return OTHER_REPOSITORY
    if not event.tag:
        return NO_TAG
    if event.tag != tag:
        return OTHER_TAG
    return None
