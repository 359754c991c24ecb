"""Reads for teams, members and tokens."""
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from accounts.models import ApiToken, Membership, Team


def memberships_of(user: AbstractBaseUser) -> QuerySet[Membership]:
    """The user's teams, with their role in each, by team name."""
    return Membership.objects.filter(user=user).select_related("team").order_by("team__name")


def members_of(team: Team) -> QuerySet[Membership]:
    return team.memberships.select_related("user").order_by("user__username")


def tokens_of(user: AbstractBaseUser) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
