"""Usage endpoints: an app's hourly usage per process type, and a team's per app (metering/)."""
from django.http import HttpRequest, JsonResponse

from access.policy import Action, team_for
from api.http import endpoint
from applications.selectors import app_for
from metering import selectors


@endpoint("GET")
def app_usage(request: HttpRequest, app_name: str) -> JsonResponse:
    app = app_for(request.user, app_name, Action.VIEW)
    span = selectors.span_of(request.GET.get("since"), request.GET.get("until"))
    return JsonResponse(selectors.app_usage(app, span))


@endpoint("GET")
def team_usage(request: HttpRequest, team_name: str) -> JsonResponse:
    team = team_for(request.user, team_name, Action.VIEW)
    span = selectors.span_of(request.GET.get("since"), request.GET.get("until"))
    return JsonResponse(selectors.team_usage(team, span))
