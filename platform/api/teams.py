"""REST endpoints for teams and their members."""
from django.http import HttpRequest, HttpResponse, JsonResponse

from access.policy import Action, team_for
from accounts import teams
from accounts.selectors import members_of, memberships_of
from activity.selectors import activity_of_team
from api.http import endpoint, json_body
from api.serializers import activity_json, member_json, team_json


@endpoint("GET", "POST")
def team_list(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":  # any user may start a team, and is its first admin
        team = teams.team_create(actor=request.user, name=json_body(request).get("name"))
        return JsonResponse(team_json(team, role="admin"), status=201)
    return JsonResponse([team_json(m.team, role=m.role) for m in memberships_of(request.user)], safe=False)


@endpoint("GET", "POST")
def team_members(request: HttpRequest, team_name: str) -> JsonResponse:
    if request.method == "POST":
        team = team_for(request.user, team_name, Action.MANAGE)
        body = json_body(request)
        membership = teams.member_add(actor=request.user, team=team, username=body.get("user"), role=body.get("role"))
        return JsonResponse(member_json(membership), status=201)
    team = team_for(request.user, team_name, Action.VIEW)
    return JsonResponse([member_json(m) for m in members_of(team)], safe=False)


@endpoint("PATCH", "DELETE")
def team_member(request: HttpRequest, team_name: str, username: str) -> HttpResponse:
    team = team_for(request.user, team_name, Action.MANAGE)
    if request.method == "DELETE":
        teams.member_remove(actor=request.user, team=team, username=username)
        return HttpResponse(status=204)
    membership = teams.member_set_role(actor=request.user, team=team, username=username, role=json_body(request).get("role"))
    return JsonResponse(member_json(membership))


@endpoint("POST")
def team_leave(request: HttpRequest, team_name: str) -> HttpResponse:
    """The caller leaves the team (any member; 409 for its last admin)."""
    teams.member_leave(actor=request.user, team=team_for(request.user, team_name, Action.VIEW))
    return HttpResponse(status=204)


@endpoint("GET")
def team_activity(request: HttpRequest, team_name: str) -> JsonResponse:
    team = team_for(request.user, team_name, Action.VIEW)
    return JsonResponse([activity_json(a) for a in activity_of_team(team)], safe=False)
