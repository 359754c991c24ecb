"""Scaling, restarting and maintenance mode: operating an app."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.policy import Action
from activity.selectors import activity_of_app
from applications.autoscale_rule import rule_of
from applications.formation import formation_ensure, formation_get, formation_update
from applications.maintenance import app_maintenance_set
from applications.restart import restart_request
from applications.selectors import live_release
from dashboard.http import app_view
from dashboard.scale_form import autoscale_fields, scale_change, scale_notice
from paas.failures import needs_redis


def _context(request: HttpRequest, app, **extra) -> dict:
    live = live_release(app)
    # The live release's types only: a row of a type it dropped can neither run nor be scaled.
    rows = list(formation_ensure(app, live).values()) if live else []
    for row in rows:
        row.command = (live.process_types.get(row.process_type) if live else "") or "(the image's command)"
        row.autoscaling = autoscale_fields(row)
    return {"app": app, "live": live, "formation": rows, "can": request.can, **extra}


@app_view(Action.VIEW, "GET")
def scale_page(request: HttpRequest, app) -> HttpResponse:
    return render(request, "dashboard/app_scale.html", {**_context(request, app), "tab": "scale"})


@app_view(Action.OPERATE, "POST")
@needs_redis
def scale(request: HttpRequest, app) -> HttpResponse:
    change = scale_change(request.POST)
    was_autoscaled = any(rule_of(row) for row in formation_get(app) if row.process_type == change["type"])
    formation_update(app=app, user=request.user, updates=[change])
    notice = scale_notice(change, was_autoscaled)
    return render(request, "dashboard/partials/formation.html", _context(request, app, notice=notice))


@app_view(Action.OPERATE, "POST")
@needs_redis
def restart(request: HttpRequest, app) -> HttpResponse:
    what = restart_request(app=app, user=request.user, which=request.POST.get("which") or None)
    notice = f"Restarting {what}: replacements start beside the running processes (see Logs)."
    return render(request, "dashboard/partials/formation.html", _context(request, app, notice=notice))


@app_view(Action.OPERATE, "POST")
@needs_redis
def maintenance(request: HttpRequest, app) -> HttpResponse:
    app_maintenance_set(app=app, user=request.user, on=request.POST.get("on") == "true")
    return render(request, "dashboard/partials/formation.html", _context(request, app))


@app_view(Action.VIEW, "GET")
def activity_page(request: HttpRequest, app) -> HttpResponse:
    entries = activity_of_app(app, limit=200)
    return render(request, "dashboard/app_activity.html", {"app": app, "entries": entries, "tab": "activity"})
