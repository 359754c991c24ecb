import math
import time
from datetime import datetime, timezone

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from access.policy import Action
from api.http import endpoint, json_body
from activity.selectors import activity_of_app
from api.serializers import activity_json, app_json, build_json, formation_json, release_json
from applications.build_settings import app_build_vars_set, app_builder_set
from applications.config_vars import config_vars_get, config_vars_update
from applications.formation import formation_get, formation_update
from applications.selectors import app_for, apps_visible_to, live_release
from applications.removal import app_delete_request
from applications.rename import app_rename_request
from applications.restart import restart_request
from applications.maintenance import app_maintenance_set
from applications.https_settings import HTTPS_SETTINGS, app_https_set
from applications.process_status import app_status
from applications.services import app_checks_update, app_create, release_rollback
from observability.metrics_store import samples_since
from paas.errors import Missing, UserError
from paas.failures import needs_redis
from runtime.processes import BackendError
from registry.services import TRACKING_SETTINGS, image_tracking_update


@endpoint("GET", "POST")
@needs_redis
def apps(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        body = json_body(request)
        team = body.get("team")
        if team is not None and not isinstance(team, str):
            raise UserError('"team" must be a string')
        app = app_create(user=request.user, name=body.get("name"), team_name=team)
        return JsonResponse(app_json(app), status=201)
    visible = apps_visible_to(request.user).select_related("tracked_image")  # app_json shows it
    return JsonResponse([app_json(app, live=live_release(app)) for app in visible], safe=False)


# What each app setting takes: maintenance mode is operating the app, the rest is managing it.
SETTING_ACTIONS = {
    "checks": Action.MANAGE,
    "maintenance": Action.OPERATE,
    "name": Action.MANAGE,
    # How the app is built, like Heroku's buildpack setting: whoever may push may choose it.
    "builder": Action.DEPLOY,
    "build_vars": Action.DEPLOY,
    # Which registry pushes deploy the app: as good as deploying, and set by whoever manages it.
    "image_repository": Action.MANAGE,
    "image_tag": Action.MANAGE,
    "redirect_https": Action.MANAGE,
    "hsts": Action.MANAGE,
}


@endpoint("GET", "PATCH", "DELETE")
@needs_redis
def app_detail(request: HttpRequest, app_name: str) -> HttpResponse:
    if request.method == "DELETE":
        app = app_for(request.user, app_name, Action.MANAGE)
        app_delete_request(app=app, user=request.user)
        return JsonResponse({"deleting": app.name}, status=202)
    if request.method == "PATCH":
        body = json_body(request)
        unknown = set(body) - set(SETTING_ACTIONS)
        if unknown:
            raise UserError(f"these app settings cannot be changed here: {', '.join(sorted(unknown))}")
        app = app_for(request.user, app_name, max((SETTING_ACTIONS[name] for name in body), default=Action.OPERATE))
        # The settings that are rows only change all together or not at all (one refused: a 400
        # and nothing changed); then the ones that also change what the router serves.
        with transaction.atomic():
            if "checks" in body:
                app_checks_update(app=app, user=request.user, checks=body["checks"])
            if "builder" in body:
                app_builder_set(app=app, user=request.user, builder=body["builder"])
            if "build_vars" in body:
                app_build_vars_set(app=app, user=request.user, names=body["build_vars"])
            if any(name in body for name in TRACKING_SETTINGS):
                image_tracking_update(app=app, user=request.user,
                                      changes={name: body[name] for name in TRACKING_SETTINGS if name in body})
            https = {name: body[name] for name in HTTPS_SETTINGS if name in body}
            https_changed = bool(https) and app_https_set(app=app, user=request.user, changes=https)
        # These (and the HTTPS settings) change what the router serves: a job does that (202),
        # under the app's rollout lock; the answer shows the app as it is until then.
        switching = "maintenance" in body and app_maintenance_set(app=app, user=request.user, on=body["maintenance"])
        renaming = app_rename_request(app=app, user=request.user, name=body["name"]) if "name" in body else app.name
        answer = app_json(app, live=live_release(app))
        if renaming != app.name:
            answer["renaming_to"] = renaming
        return JsonResponse(answer, status=202 if switching or https_changed or renaming != app.name else 200)
    app = app_for(request.user, app_name, Action.VIEW)
    return JsonResponse(app_json(app, live=live_release(app)))


@endpoint("GET")
def app_activity(request: HttpRequest, app_name: str) -> JsonResponse:
    app = app_for(request.user, app_name, Action.VIEW)
    return JsonResponse([activity_json(entry) for entry in activity_of_app(app)], safe=False)


@endpoint("GET", "DELETE")
@needs_redis
def app_dynos(request: HttpRequest, app_name: str, dyno: str | None = None) -> JsonResponse:
    """Heroku's dyno list and restart. GET .../dynos: the app's processes as the engine has them
    (of .../dynos/web a type, .../dynos/web.1 one). DELETE restarts them: at once (202), on a worker."""
    if request.method == "GET":
        app = app_for(request.user, app_name, Action.VIEW)
        status = app_status(app, live_release(app))
        if status.engine_error:
            raise BackendError(status.engine_error)
        dynos = [{"name": p.label, "type": p.process_type, "state": p.state, "release": {"version": p.release},
                  "exit_code": p.exit_code, "restarts": p.restarts}
                 for row in status.types for p in row.processes if dyno in (None, p.process_type, p.label)]
        return JsonResponse(dynos, safe=False)
    app = app_for(request.user, app_name, Action.OPERATE)
    what = restart_request(app=app, user=request.user, which=dyno)
    return JsonResponse({"restarting": what}, status=202)


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


@endpoint("GET", "POST")
@needs_redis
def app_releases(request: HttpRequest, app_name: str) -> JsonResponse:
    if request.method == "POST":  # Heroku's rollback: {"release": N}
        app = app_for(request.user, app_name, Action.DEPLOY)
        body = json_body(request)
        if "release" not in body:
            raise UserError('say which release to roll back to, e.g. {"release": 3}')
        release = release_rollback(app=app, user=request.user, version=body["release"])
        return JsonResponse(release_json(release), status=201)
    app = app_for(request.user, app_name, Action.VIEW)
    releases = app.releases.select_related("created_by")[:100]
    return JsonResponse([release_json(release) for release in releases], safe=False)


@endpoint("GET")
def app_release_detail(request: HttpRequest, app_name: str, version: int) -> JsonResponse:
    app = app_for(request.user, app_name, Action.VIEW)
    release = app.releases.select_related("created_by").filter(version=version).first()
    if release is None:
        raise Missing(f"release v{version} of '{app.name}' not found")
    return JsonResponse(release_json(release, with_output=True))


@endpoint("GET", "PATCH")
@needs_redis
def app_config_vars(request: HttpRequest, app_name: str) -> JsonResponse:
    # Values are secrets: reading them takes the same role as changing them.
    app = app_for(request.user, app_name, Action.DEPLOY)
    if request.method == "PATCH":
        config, _ = config_vars_update(app=app, user=request.user, changes=json_body(request))
        return JsonResponse(config)
    return JsonResponse(config_vars_get(app))


@endpoint("GET", "PATCH")
@needs_redis
def app_formation(request: HttpRequest, app_name: str) -> JsonResponse:
    if request.method == "PATCH":
        app = app_for(request.user, app_name, Action.OPERATE)
        rows = formation_update(app=app, user=request.user, updates=json_body(request, list))
    else:
        app = app_for(request.user, app_name, Action.VIEW)
        rows = formation_get(app)
    live = live_release(app)
    return JsonResponse([formation_json(row, live) for row in rows], safe=False)


METRICS_DEFAULT_SECONDS = 15 * 60
SINCE_FORMATS = "give ISO 8601 (2026-01-01T12:00:00Z) or unix seconds"


def _since(value: str | None) -> float:
    """`since` as unix seconds: ISO 8601 (UTC unless it says otherwise) or unix seconds."""
    if value is None:
        return time.time() - METRICS_DEFAULT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise UserError(f"since={value!r} is not a time: {SINCE_FORMATS}") from None
        seconds = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
    if not math.isfinite(seconds):
        raise UserError(f"since={value!r} is not a time: {SINCE_FORMATS}")
    return seconds


@endpoint("GET")
def app_metrics(request: HttpRequest, app_name: str) -> JsonResponse:
    app = app_for(request.user, app_name, Action.VIEW)
    resolution, samples = samples_since(app.pk, _since(request.GET.get("since")))
    return JsonResponse({"app": app.name, "resolution": resolution, "samples": samples})
