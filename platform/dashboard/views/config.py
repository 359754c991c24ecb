"""Config vars: names for every member; values, masked until revealed, and changes for deployers."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.policy import Action
from applications.config_vars import config_vars_get, config_vars_update
from dashboard.http import app_view
from paas.errors import Missing
from paas.failures import needs_redis


def _table(request: HttpRequest, app, *, release=None) -> dict:
    names = sorted(config_vars_get(app))
    return {"app": app, "names": names, "build_vars": set(app.build_vars), "can": request.can, "release": release}


@app_view(Action.VIEW, "GET")
def config_page(request: HttpRequest, app) -> HttpResponse:
    return render(request, "dashboard/app_config.html", {**_table(request, app), "tab": "config"})


@app_view(Action.DEPLOY, "GET")
def config_reveal(request: HttpRequest, app, name: str) -> HttpResponse:
    value = config_vars_get(app).get(name)
    if value is None:
        raise Missing(f"'{app.name}' has no config var {name}")
    return render(request, "dashboard/partials/config_value.html", {"app": app, "name": name, "value": value})


@app_view(Action.DEPLOY, "POST")
@needs_redis
def config_set(request: HttpRequest, app) -> HttpResponse:
    name = request.POST.get("name", "").strip()
    _, release = config_vars_update(app=app, user=request.user, changes={name: request.POST.get("value", "")})
    return render(request, "dashboard/partials/config_table.html", _table(request, app, release=release))


@app_view(Action.DEPLOY, "POST")
@needs_redis
def config_unset(request: HttpRequest, app, name: str) -> HttpResponse:
    _, release = config_vars_update(app=app, user=request.user, changes={name: None})
    return render(request, "dashboard/partials/config_table.html", _table(request, app, release=release))
