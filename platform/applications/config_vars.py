"""Config vars, Heroku's way: a PATCH sets and (with null) unsets, and each change is a release."""
import re

from django.conf import settings
from django.db import transaction

from activity.services import activity_record
from applications import config_crypto, job_queue
from applications.models import App, Release
from applications.selectors import release_base
from applications.services import release_create
from paas.errors import UserError

# Matched whole (fullmatch): "$" would let "NAME\n" through.
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}")
# Set by the platform for every process, as Heroku sets them; an app cannot override them.
# DYNO (web.1, release.1) tells Heroku-aware apps they run behind a router that speaks for them.
RESERVED = {"PORT", "DYNO"}
# One environment string may not pass 128 KiB at exec (MAX_ARG_STRLEN), whatever the total cap.
MAX_VALUE_BYTES = 32 * 1024


def config_vars_get(app: App) -> dict[str, str]:
    return config_crypto.decrypt(App.objects.only("config_ciphertext").get(pk=app.pk).config_ciphertext)


def _validated(changes: dict) -> dict[str, str | None]:
    if not changes:
        raise UserError('send the config vars to change, e.g. {"GREETING": "hello", "OLD": null}')
    for name, value in changes.items():
        if not NAME.fullmatch(name):
            raise UserError(f"invalid config var name {name!r}: use letters, digits and underscores, not starting with a digit")
        if name in RESERVED:
            raise UserError(f"{name} is set by the platform and cannot be changed")
        if value is not None and not isinstance(value, str):
            raise UserError(f"the value of {name} must be a string (or null to unset it)")
        if value is not None and "\x00" in value:
            raise UserError(f"the value of {name} holds a NUL character (\\u0000), which an environment variable cannot hold")
        if value is not None and len(value.encode()) > MAX_VALUE_BYTES:
            raise UserError(f"the value of {name} is longer than {MAX_VALUE_BYTES // 1024} KiB")
    return changes


def _size(config: dict[str, str]) -> int:
    """The bytes the config vars take in a process's environment, names and values."""
    return sum(len(name.encode()) + len(value.encode()) for name, value in config.items())


def _check_size(before: dict[str, str], after: dict[str, str]) -> None:
    """Every process gets the whole config in its environment, and the kernel refuses to start
    one whose environment is too large ("argument list too long"): cap the total, as Heroku
    does. A change that makes an app over the cap smaller (the cap was lowered) still passes."""
    limit, size = settings.PAAS_CONFIG_MAX_BYTES, _size(after)
    if size > limit and size > _size(before):
        raise UserError(f"the config vars would take {size} bytes (names and values), more than the {limit} "
                        f"an app may have (PAAS_CONFIG_MAX_BYTES); unset some or make them shorter")


def _description(before: dict[str, str], after: dict[str, str]) -> str:
    set_names = sorted(name for name in after if before.get(name) != after[name])
    unset_names = sorted(name for name in before if name not in after)
    parts = []
    if set_names:
        parts.append(f"Set {', '.join(set_names)} config vars")
    if unset_names:
        parts.append(f"Remove {', '.join(unset_names)} config vars")
    return "; ".join(parts)[:300]


def config_vars_update(*, app: App, user, changes: dict) -> tuple[dict[str, str], Release | None]:
    """Apply the changes; if anything changed and the app has been deployed, make a release and
    queue its rollout. The app's next deploys carry the new config either way."""
    changes = _validated(changes)
    with transaction.atomic():
        locked = App.objects.select_for_update().get(pk=app.pk)
        before = config_crypto.decrypt(locked.config_ciphertext)
        after = {name: value for name, value in {**before, **changes}.items() if value is not None}
        if after == before:
            return after, None
        _check_size(before, after)
        locked.config_ciphertext = config_crypto.encrypt(after)
        locked.save(update_fields=["config_ciphertext"])
        base = release_base(app)
        if base is None:  # not deployed yet: the first release will carry it
            activity_record(team_id=app.team_id, app=app, actor=user, verb="config", text=_description(before, after))
            return after, None
        release = release_create(
            app=app, image=base.image, process_types=base.process_types, description=_description(before, after), user=user,
            verb="config",
        )
        job_queue.rollout_enqueue_on_commit(release)
    return after, release
