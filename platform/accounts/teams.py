"""Writes for teams and their members. Callers have checked the actor's role with the policy
(accounts.selectors.team_for); these keep a team from losing its last admin."""
import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from accounts.models import Membership, Role, Team
from activity.services import activity_record
from paas.errors import Conflict, Missing, UserError

TEAM_NAME = re.compile(r"[a-z][a-z0-9-]{0,61}[a-z0-9]")


def _role(value) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise UserError(f'"role" must be one of {", ".join(Role.values)}') from None


def _user(username) -> AbstractBaseUser:
    if not isinstance(username, str) or not username or "\x00" in username:
        raise UserError('"user" must be a user name')
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise Missing(f"no user named '{username}' (create_token {username} creates one)")
    return user


def _membership(team: Team, username: str) -> Membership:
    membership = team.memberships.select_related("user").filter(user__username=username).first()
    if membership is None:
        raise Missing(f"'{username}' is not a member of team '{team.name}'")
    return membership


def _keeps_an_admin(membership: Membership, what: str) -> None:
    others = membership.team.memberships.filter(role=Role.ADMIN).exclude(pk=membership.pk)
    if membership.role == Role.ADMIN and not others.exists():
        raise Conflict(f"'{membership.user.get_username()}' is the last admin of team '{membership.team.name}'; "
                       f"make someone else admin before you {what}")


def team_create(*, actor: AbstractBaseUser, name) -> Team:
    """A new team, with its creator as its admin."""
    if not isinstance(name, str) or not TEAM_NAME.fullmatch(name):
        raise UserError("team names are 2 to 63 characters: lowercase letters, digits and dashes, "
                        "starting with a letter and not ending with a dash")
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name)
            Membership.objects.create(team=team, user=actor, role=Role.ADMIN)
            activity_record(team_id=team.pk, verb="team", text=f"Created team {name}", actor=actor)
    except IntegrityError:
        raise Conflict(f"team name '{name}' is already taken") from None
    return team


def member_add(*, actor: AbstractBaseUser, team: Team, username, role) -> Membership:
    user, role = _user(username), _role(role)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(team=team, user=user, role=role)
            activity_record(team_id=team.pk, verb="member", text=f"Added {username} as {role.value}", actor=actor)
    except IntegrityError:
        raise Conflict(f"'{username}' is already a member of team '{team.name}'; change the role instead") from None
    return membership


@transaction.atomic
def member_set_role(*, actor: AbstractBaseUser, team: Team, username: str, role) -> Membership:
    role = _role(role)
    membership = _membership(team, username)
    if role != Role.ADMIN:
        _keeps_an_admin(membership, "change this role")
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
        activity_record(team_id=team.pk, verb="member", text=f"Changed {username}'s role to {role.value}", actor=actor)
    return membership


@transaction.atomic
def member_remove(*, actor: AbstractBaseUser, team: Team, username: str) -> None:
    membership = _membership(team, username)
    _keeps_an_admin(membership, "remove them")
    membership.delete()
    activity_record(team_id=team.pk, verb="member", text=f"Removed {username} from the team", actor=actor)


@transaction.atomic
def member_leave(*, actor: AbstractBaseUser, team: Team) -> None:
    """The actor leaves the team. An admin may add anyone without asking, so any member may
    leave without asking; only the last admin must hand over first."""
    username = actor.get_username()
    membership = _membership(team, username)
    _keeps_an_admin(membership, "leave")
    membership.delete()
    activity_record(team_id=team.pk, verb="member", text=f"{username} left the team", actor=actor)
