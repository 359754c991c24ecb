from django.http import HttpRequest, JsonResponse

from access.policy import Action
from api.http import endpoint, json_body
from api.serializers import app_json, build_json, release_json
from applications.selectors import app_for, apps_visible_to, live_release
from applications.services import app_create
from paas.errors import Missing, UserError


@endpoint("GET", "POST")
def apps(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        body = json_body(request)
        team = body.get("team")
        if team is not None and not isinstance(team, str):
            raise UserError('"team" must be a string')
        app = app_create(user=request.user, name=body.get("name"), team_name=team)
        return JsonResponse(app_json(app), status=201)
    return JsonResponse([app_json(app, live=live_release(app)) for app in apps_visible_to(request.user)], safe=False)


@endpoint("GET")
def app_detail(request: HttpRequest, app_name: str) -> JsonResponse:
    app = app_for(request.user, app_name, Action.VIEW)
    return JsonResponse(app_json(app, live=live_release(app)))


@endpoint("GET")
def app_builds(request: HttpRequest, app_name: str) -> JsonResponse:
    app = app_for(request.user, app_name, Action.VIEW)
    builds = app.builds.select_related("created_by")[:100]
    return JsonResponse([build_json(build) for build in builds], safe=False)


@endpoint("GET")
def app_build_detail(request: HttpRequest, app_name: str, build_id: int) -> JsonResponse:
    app = app_for(request.user, app_name, Action.VIEW)
    build = app.builds.select_related("created_by").filter(pk=build_id).first()
    if build is None:
        raise Missing(f"build {build_id} of '{app.name}' not found")
    return JsonResponse(build_json(build, with_output=True))


@endpoint("GET")
def app_releases(request: HttpRequest, app_name: str) -> JsonResponse:
    app = app_for(request.user, app_name, Action.VIEW)
    releases = app.releases.select_related("created_by")[:100]
    return JsonResponse([release_json(release) for release in releases], safe=False)
