"""Writes for apps and releases."""
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from access.policy import Action, NotFound, check
from accounts.models import Team
from applications.models import App, Release, ReleaseStatus, app_name_validator
from paas.errors import Conflict, UserError


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


def app_create(*, user: AbstractBaseUser, name: str, team_name: str | None = None) -> App:
    if not isinstance(name, str) or not name:
        raise UserError("\"name\" is required")
    try:
        app_name_validator(name)
    except ValidationError as error:
        raise UserError(f"invalid app name '{name}': {error.messages[0]}") from None
    team = _team_for_new_app(user, team_name)
    check(user, Action.MANAGE, team_id=team.pk, what=f"team '{team.name}'")
    try:
        with transaction.atomic():
            return App.objects.create(name=name, team=team, created_by=user)
    except IntegrityError:
        raise Conflict(f"app name '{name}' is already taken") from None


def release_create(*, app: App, image: str, description: str, user=None, build=None) -> Release:
    """Make the next numbered release; numbers are unique per app even under concurrent deploys."""
    for _ in range(5):
        try:
            with transaction.atomic():
                latest = Release.objects.filter(app=app).aggregate(v=Max("version"))["v"] or 0
                return Release.objects.create(
                    app=app, version=latest + 1, image=image, description=description,
                    created_by=user, build=build,
                )
        except IntegrityError:
            continue
    raise Conflict(f"could not number a new release of '{app.name}'; try again")


def release_mark(release: Release, status: ReleaseStatus, reason: str = "") -> None:
    release.status = status
    release.failure_reason = reason
    release.save(update_fields=["status", "failure_reason"])


@transaction.atomic
def release_go_live(release: Release) -> None:
    """This release serves now; the one that served before is retired."""
    Release.objects.filter(app=release.app, status=ReleaseStatus.LIVE).exclude(pk=release.pk).update(
        status=ReleaseStatus.RETIRED
    )
    release_mark(release, ReleaseStatus.LIVE)
