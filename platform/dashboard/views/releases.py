"""Releases (with rollback and its progress, live) and builds (with their output, live)."""
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.policy import Action
from applications.models import ReleaseStatus
from applications.services import release_rollback
from builds.models import BuildStatus
from builds.output import lines_so_far
from dashboard.http import app_view
from dashboard.selectors import releases_of
from paas.errors import Missing
from paas.failures import needs_redis

IN_FLIGHT = (ReleaseStatus.PENDING, ReleaseStatus.DEPLOYING)
BUILDING = (BuildStatus.PENDING, BuildStatus.BUILDING)


def _table(app, request: HttpRequest) -> dict:
    releases = releases_of(app)
    # Only the newest releases still have their image (applications.images keeps the last
    # PAAS_KEEP_RELEASES): those that served and are not serving now can be rolled back to.
    keepers = {r.version for r in releases[: settings.PAAS_KEEP_RELEASES]}
    for release in releases:
        release.can_roll_back = (
            request.can.deploy and release.version in keepers and release.status == ReleaseStatus.RETIRED
        )
    return {"app": app, "releases": releases, "can": request.can}


@app_view(Action.VIEW, "GET")
def release_list(request: HttpRequest, app) -> HttpResponse:
    return render(request, "dashboard/app_releases.html", {**_table(app, request), "tab": "releases"})


@app_view(Action.VIEW, "GET")
def release_table(request: HttpRequest, app) -> HttpResponse:
    return render(request, "dashboard/partials/release_table.html", _table(app, request))


@app_view(Action.DEPLOY, "POST")
@needs_redis
def release_rollback_view(request: HttpRequest, app, version: int) -> HttpResponse:
    release = release_rollback(app=app, user=request.user, version=version)
    response = render(request, "dashboard/partials/rollout.html", {"app": app, "release": release, "polling": True})
    response["HX-Trigger"] = "releases-changed"
    return response


@app_view(Action.VIEW, "GET")
def release_progress(request: HttpRequest, app, version: int) -> HttpResponse:
    release = app.releases.filter(version=version).first()
    if release is None:
        raise Missing(f"release v{version} of '{app.name}' not found")
    polling = release.status in IN_FLIGHT
    response = render(request, "dashboard/partials/rollout.html", {"app": app, "release": release, "polling": polling})
    if not polling:
        response["HX-Trigger"] = "releases-changed"
    return response


@app_view(Action.VIEW, "GET")
def build_list(request: HttpRequest, app) -> HttpResponse:
    builds = app.builds.select_related("created_by")[:100]
    return render(request, "dashboard/app_builds.html", {"app": app, "builds": builds, "tab": "builds"})


def _build(app, build_id: int):
    build = app.builds.select_related("created_by").filter(pk=build_id).first()
    if build is None:
        raise Missing(f"build {build_id} of '{app.name}' not found")
    return build


def _build_output(build) -> dict:
    running = build.status in BUILDING
    text = "\n".join(lines_so_far(build.pk)) if running else build.output
    return {"build": build, "running": running, "text": text}


@app_view(Action.VIEW, "GET")
def build_detail(request: HttpRequest, app, build_id: int) -> HttpResponse:
    build = _build(app, build_id)
    return render(request, "dashboard/app_build.html", {"app": app, **_build_output(build), "tab": "builds"})


@app_view(Action.VIEW, "GET")
def build_output(request: HttpRequest, app, build_id: int) -> HttpResponse:
    return render(request, "dashboard/partials/build_output.html", {"app": app, **_build_output(_build(app, build_id))})
