from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from access.policy import Action, Denied
from applications.selectors import app_for, apps_visible_to, live_release


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


@login_required
def app_list(request: HttpRequest) -> HttpResponse:
    rows = [(app, live_release(app)) for app in apps_visible_to(request.user)]
    apps_host = f"{settings.PAAS_APPS_DOMAIN}:{settings.PAAS_ROUTER_PORT}"
    return render(request, "dashboard/app_list.html", {"rows": rows, "apps_host": apps_host})


@login_required
def app_detail(request: HttpRequest, app_name: str) -> HttpResponse:
    try:
        app = app_for(request.user, app_name, Action.VIEW)
    except Denied:
        raise Http404("No such app") from None
    context = {
        "app": app,
        "live": live_release(app),
        "releases": app.releases.select_related("created_by")[:50],
        "builds": app.builds.select_related("created_by")[:20],
    }
    return render(request, "dashboard/app_detail.html", context)
