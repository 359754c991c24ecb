"""The apps list, creating an app, an app's overview and deleting it."""
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from access.policy import Action
from applications.process_status import app_status
from applications.removal import app_delete_request
from applications.rename import app_rename_request
from applications.selectors import app_url, git_url, live_release
from applications.services import app_create
from dashboard.http import app_view, go, user_view
from activity.selectors import activity_of_app
from dashboard.selectors import app_rows, teams_where_admin
from observability.health import platform_health
from paas.errors import UserError
from paas.failures import needs_redis
from registry.selectors import tracking


def healthz(request: HttpRequest) -> JsonResponse:
    """Each dependency's check; 503 while any fails, so a monitor needs only the status code."""
    checks = platform_health()
    ok = all(check.ok for check in checks.values())
    body = {"ok": ok, "checks": {name: check.as_json() for name, check in checks.items()}}
    return JsonResponse(body, status=200 if ok else 503)


@user_view("GET")
def app_list(request: HttpRequest) -> HttpResponse:
    context = {
        "rows": app_rows(request.user),
        "teams": teams_where_admin(request.user),
    }
    return render(request, "dashboard/app_list.html", context)


@user_view("POST")
@needs_redis
def app_new(request: HttpRequest) -> HttpResponse:
    app = app_create(user=request.user, name=request.POST.get("name", "").strip(), team_name=request.POST.get("team") or None)
    return go(request, reverse("app-detail", args=[app.name]))


@app_view(Action.VIEW, "GET")
def app_detail(request: HttpRequest, app) -> HttpResponse:
    live = live_release(app)
    context = {
        "app": app,
        "live": live,
        "status": app_status(app, live),  # what runs, as the engine says: no row stands for a process
        "activity": activity_of_app(app, limit=10),
        "url": app_url(app),
        "git_url": git_url(app),
        "tracking": tracking(app),
        "tab": "overview",
    }
    return render(request, "dashboard/app_detail.html", context)


@app_view(Action.MANAGE, "POST")
@needs_redis
def app_rename_view(request: HttpRequest, app) -> HttpResponse:
    new = app_rename_request(app=app, user=request.user, name=request.POST.get("name", "").strip())
    # A job renames it: its live log shows the processes starting under the new name.
    return go(request, reverse("app-logs" if new != app.name else "app-detail", args=[app.name]))


@app_view(Action.MANAGE, "POST")
@needs_redis
def app_remove(request: HttpRequest, app) -> HttpResponse:
    if request.POST.get("confirm") != app.name:
        raise UserError(f"type the app's name, {app.name}, to delete it")
    app_delete_request(app=app, user=request.user)
    return go(request, reverse("app-list"))
