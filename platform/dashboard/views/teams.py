"""Teams: the user's teams, a team's members and roles, and its activity."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from access.policy import Action
from accounts import teams
from accounts.models import Role
from accounts.selectors import members_of, memberships_of
from activity.selectors import activity_of_team
from dashboard.http import go, team_view, user_view


@user_view("GET")
def team_list(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/team_list.html", {"memberships": memberships_of(request.user)})


@user_view("POST")
def team_new(request: HttpRequest) -> HttpResponse:
    team = teams.team_create(actor=request.user, name=request.POST.get("name", "").strip())
    return go(request, reverse("team-detail", args=[team.name]))


def _members(request: HttpRequest, team, **extra) -> dict:
    return {"team": team, "members": members_of(team), "roles": Role.values, "can": request.can, **extra}


@team_view(Action.VIEW, "GET")
def team_detail(request: HttpRequest, team) -> HttpResponse:
    context = {
        **_members(request, team),
        "apps": team.apps.order_by("name"),
        "entries": activity_of_team(team),
    }
    return render(request, "dashboard/team_detail.html", context)


@team_view(Action.MANAGE, "POST")
def member_add(request: HttpRequest, team) -> HttpResponse:
    teams.member_add(actor=request.user, team=team, username=request.POST.get("user", "").strip(), role=request.POST.get("role"))
    return render(request, "dashboard/partials/members.html", _members(request, team))


@team_view(Action.MANAGE, "POST")
def member_role(request: HttpRequest, team, username: str) -> HttpResponse:
    teams.member_set_role(actor=request.user, team=team, username=username, role=request.POST.get("role"))
    return render(request, "dashboard/partials/members.html", _members(request, team))


@team_view(Action.MANAGE, "POST")
def member_remove(request: HttpRequest, team, username: str) -> HttpResponse:
    teams.member_remove(actor=request.user, team=team, username=username)
    return render(request, "dashboard/partials/members.html", _members(request, team))


@team_view(Action.VIEW, "POST")
def team_leave(request: HttpRequest, team) -> HttpResponse:
    teams.member_leave(actor=request.user, team=team)
    return go(request, reverse("team-list"))
