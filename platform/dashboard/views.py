from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from access.policy import Action, Denied
from applications.models import App
from applications.selectors import app_for, apps_visible_to, live_release

# Lines of history the log page asks for when it connects (the page's ?lines= overrides it).
LOG_HISTORY_LINES = 500


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def _viewable_app(request: HttpRequest, app_name: str) -> App:
    """The app if the user may see it; 404 otherwise, so outsiders cannot tell it exists."""
    try:
        return app_for(request.user, app_name, Action.VIEW)
    except Denied:
        raise Http404("No such app") from None


@login_required
def app_list(request: HttpRequest) -> HttpResponse:
    rows = [(app, live_release(app)) for app in apps_visible_to(request.user)]
    apps_host = f"{settings.PAAS_APPS_DOMAIN}:{settings.PAAS_ROUTER_PORT}"
    return render(request, "dashboard/app_list.html", {"rows": rows, "apps_host": apps_host})


@login_required
def app_detail(request: HttpRequest, app_name: str) -> HttpResponse:
    app = _viewable_app(request, app_name)
    context = {
        "app": app,
        "live": live_release(app),
        "releases": app.releases.select_related("created_by")[:50],
        "builds": app.builds.select_related("created_by")[:20],
    }
    return render(request, "dashboard/app_detail.html", context)


@login_required
def app_logs(request: HttpRequest, app_name: str) -> HttpResponse:
    """The live log page; the lines come over the websocket (observability.consumers)."""
    app = _viewable_app(request, app_name)
    try:
        lines = int(request.GET.get("lines", LOG_HISTORY_LINES))
    except ValueError:
        lines = LOG_HISTORY_LINES
    lines = max(0, min(lines, settings.PAAS_LOG_LINES))
    ws_path = f"/ws/apps/{app.name}/logs/?lines={lines}"
    return render(request, "dashboard/app_logs.html", {"app": app, "ws_path": ws_path})


@login_required
def app_metrics(request: HttpRequest, app_name: str) -> HttpResponse:
    """The live metrics page; the samples come over the websocket (observability.consumers)."""
    app = _viewable_app(request, app_name)
    ws_path = f"/ws/apps/{app.name}/metrics/"
    return render(request, "dashboard/app_metrics.html", {"app": app, "ws_path": ws_path})
