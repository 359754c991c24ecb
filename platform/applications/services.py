"""Writes for apps and releases."""
import re

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from access.policy import Action, check
from accounts.models import Team
from activity.services import activity_record
from applications import job_queue
from applications.models import App, Release, ReleaseStatus, app_name_validator
from applications.names import name_reserved
from builds.repositories import repository_discard
from paas import logstream
from paas.logstream import platform_event
from paas.errors import Conflict, NotFound, UserError
from runtime.scheduler import get_scheduler


def _team_for_new_app(user: AbstractBaseUser, team_name: str | None) -> Team:
    if team_name:
        team = Team.objects.filter(name=team_name).first()
        if team is None:  # the same answer as for a team the user is not in: names are not leaked
            raise NotFound(f"team '{team_name}' not found")
        return team
    teams = list(Team.objects.filter(memberships__user=user))
    if len(teams) == 1:
        return teams[0]
    if not teams:
        raise UserError("you belong to no team; ask a team admin to add you, then create the app")
    names = ", ".join(sorted(t.name for t in teams))
    raise UserError(f"you belong to several teams ({names}); say which one with \"team\"")


def app_name_checked(name) -> str:
    """The name, if it is one an app can have; a UserError saying why not otherwise."""
    if not isinstance(name, str) or not name:
        raise UserError("\"name\" is required")
    try:
        app_name_validator(name)
    except ValidationError as error:
        raise UserError(f"invalid app name '{name}': {error.messages[0]}") from None
    return name


def app_create(*, user: AbstractBaseUser, name: str, team_name: str | None = None) -> App:
    name = app_name_checked(name)
    team = _team_for_new_app(user, team_name)
    check(user, Action.MANAGE, team_id=team.pk, what=f"team '{team.name}'")
    with name_reserved(name, get_scheduler()):
        try:
            with transaction.atomic():
                app = App.objects.create(name=name, team=team, created_by=user)
                activity_record(team_id=team.pk, app=app, actor=user, verb="app", text=f"Created app {name}")
                # A fresh database on the same Redis (or var/) reuses ids: the new app starts
                # with an empty log and no repository.
                transaction.on_commit(lambda: logstream.discard(app.pk))
                transaction.on_commit(lambda: repository_discard(app.pk))
                return app
        except IntegrityError:
            raise Conflict(f"app name '{name}' is already taken") from None


def release_create(
    *,
    app: App,
    image: str,
    process_types: dict[str, str],
    description: str,
    user=None,
    build=None,
    config_ciphertext: str | None = None,
    verb: str = "deploy",
) -> Release:
    """Make the next numbered release; numbers are unique per app even under concurrent deploys.

    It snapshots the app's config vars as they are at this moment unless given a snapshot (a
    rollback's), so a config change made while a build runs is in the build's release too."""
    for _ in range(5):
        try:
            with transaction.atomic():
                current = App.objects.select_for_update().only("config_ciphertext").get(pk=app.pk)
                latest = Release.objects.filter(app=app).aggregate(v=Max("version"))["v"] or 0
                release = Release.objects.create(
                    app=app,
                    version=latest + 1,
                    image=image,
                    process_types=process_types,
                    config_ciphertext=current.config_ciphertext if config_ciphertext is None else config_ciphertext,
                    description=description,
                    created_by=user,
                    build=build,
                )
                author = user.get_username() if user is not None else "the platform"
                platform_event(app.pk, f"Release v{release.version} created by {author}: {description}")
                activity_record(team_id=app.team_id, app=app, actor=user, verb=verb,
                                text=f"{description} (v{release.version})")
                return release
        except IntegrityError:
            continue
    raise Conflict(f"could not number a new release of '{app.name}'; try again")


def release_rollback(*, app: App, user, version: int) -> Release:
    """A new release with release N's image, config vars and process types, rolled out like any other."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise UserError('"release" must be a release number, e.g. {"release": 3}')
    target = app.releases.filter(version=version).first()
    if target is None:
        raise UserError(f"'{app.name}' has no release v{version}")
    if not job_queue.image_available(target.image):
        raise Conflict(f"the image of v{version} has been pruned (only the last releases' images are kept)")
    with transaction.atomic():
        App.objects.filter(pk=app.pk).update(config_ciphertext=target.config_ciphertext)
        release = release_create(
            app=app,
            image=target.image,
            process_types=target.process_types,
            config_ciphertext=target.config_ciphertext,
            description=f"Rollback to v{version}",
            user=user,
            verb="rollback",
        )
        job_queue.rollout_enqueue_on_commit(release)
    return release


def release_mark(release: Release, status: ReleaseStatus, reason: str = "") -> None:
    release.status = status
    release.failure_reason = reason
    release.save(update_fields=["status", "failure_reason"])


@transaction.atomic
def release_go_live(release: Release) -> None:
    """This release serves now; the one that served before is retired (and drained, then stopped)."""
    Release.objects.filter(app=release.app, status=ReleaseStatus.LIVE).exclude(pk=release.pk).update(
        status=ReleaseStatus.RETIRED, retired_at=timezone.now()
    )
    release_mark(release, ReleaseStatus.LIVE)


def release_output_set(release: Release, lines: list[str]) -> None:
    Release.objects.filter(pk=release.pk).update(output="\n".join(lines))


CHECK_LIMITS = {"wait": (0, 600), "timeout": (0.1, 120), "attempts": (1, 1000), "interval": (0.05, 60)}
# What the request line of the check can carry as it is: printable ASCII but space, and "%"
# only as percent-encoding (the way to ask for any other character).
CHECK_PATH = re.compile(r"/(?:[!-$&-~]|%[0-9A-Fa-f]{2})*")
CHECK_PATH_RULE = ('"path" must be a URL path: "/" then printable ASCII with no spaces, anything else '
                   'percent-encoded (e.g. "/health", "/caf%C3%A9?full=1"); or "" for a TCP check')


def app_checks_update(*, app: App, user, checks) -> App:
    """Change the app's health check settings; a null value goes back to the platform default."""
    if not isinstance(checks, dict):
        raise UserError('"checks" must be an object, e.g. {"path": "/health", "attempts": 20}')
    merged = dict(app.checks or {})
    for name, value in checks.items():
        if name not in CHECK_LIMITS and name != "path":
            raise UserError(f"unknown health check setting '{name}' (path, {', '.join(CHECK_LIMITS)})")
        if value is None:
            merged.pop(name, None)
        elif name == "path":
            if not isinstance(value, str) or (value and not CHECK_PATH.fullmatch(value)):
                raise UserError(CHECK_PATH_RULE)
            merged[name] = value
        else:
            low, high = CHECK_LIMITS[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise UserError(f'"{name}" must be a number from {low} to {high}')
            merged[name] = int(value) if name == "attempts" else float(value)
    with transaction.atomic():
        app.checks = merged
        app.save(update_fields=["checks"])
        activity_record(team_id=app.team_id, app=app, actor=user, verb="settings", text="Changed the health check settings")
    return app

