"""The one permission policy: may this user do this to this app?

Every entry point (dashboard, REST API, git, websockets, webhooks) asks here. A user outside an
app's team must not learn that the app exists (NotFound, 404); a member without the permission is
Forbidden (403). Both are user errors (paas.errors), answered like any other.
"""
import enum

from django.contrib.auth.models import AbstractBaseUser

from accounts.models import Membership, Role, Team
from paas.errors import Forbidden, NotFound


class Action(enum.IntEnum):
    """What a request does to an app; each role may do its own and everything below it."""

    VIEW = 1  # apps, releases, builds, logs, metrics
    DEPLOY = 2  # git push, rollback, config vars
    OPERATE = 3  # scale, restart
    MANAGE = 4  # members, create/delete apps, settings


ROLE_GRANTS = {
    Role.VIEWER: Action.VIEW,
    Role.DEVELOPER: Action.DEPLOY,
    Role.OPERATOR: Action.OPERATE,
    Role.ADMIN: Action.MANAGE,
}


def role_in_team(user: AbstractBaseUser, team_id: int) -> Role | None:
    if not user.is_authenticated:
        return None
    membership = Membership.objects.filter(user=user, team_id=team_id).only("role").first()
    return Role(membership.role) if membership else None


def check(user: AbstractBaseUser, action: Action, *, team_id: int, what: str) -> None:
    """Raise NotFound for outsiders and Forbidden for members whose role is too low."""
    role = role_in_team(user, team_id)
    if role is None:
        raise NotFound(f"{what} not found")
    if ROLE_GRANTS[role] < action:
        raise Forbidden(f"your role ({role.value}) may not {action.name.lower()} {what}")


def check_app(user: AbstractBaseUser, action: Action, app) -> None:
    check(user, action, team_id=app.team_id, what=f"app '{app.name}'")


def grants(user: AbstractBaseUser, team_id: int) -> frozenset[Action]:
    """Every action the user may take on the team's apps (empty outside the team): what the
    dashboard shows buttons for. The server still checks each request with check()."""
    role = role_in_team(user, team_id)
    return frozenset(action for action in Action if role is not None and action <= ROLE_GRANTS[role])


def team_for(user: AbstractBaseUser, name: str, action: Action) -> Team:
    """The team, if the user may do `action` to it; the policy's NotFound/Forbidden otherwise."""
    team = Team.objects.filter(name=name).first()
    if team is None:
        raise NotFound(f"team '{name}' not found")
    check(user, action, team_id=team.pk, what=f"team '{team.name}'")
    return team
