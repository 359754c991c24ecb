"""The live log and metrics pages; what they show comes over websockets (observability.consumers)."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.policy import Action
from dashboard.http import app_view
from paas import logstream

# Lines of history the log page asks for when it connects (the page's ?lines= overrides it).
LOG_HISTORY_LINES = 500


@app_view(Action.VIEW, "GET")
def app_logs(request: HttpRequest, app) -> HttpResponse:
    try:
        lines = logstream.history_size(request.GET.get("lines"), LOG_HISTORY_LINES)
    except ValueError:
        lines = LOG_HISTORY_LINES
    ws_path = f"/ws/apps/{app.name}/logs/?lines={lines}"
    return render(request, "dashboard/app_logs.html", {"app": app, "ws_path": ws_path, "tab": "logs"})


@app_view(Action.VIEW, "GET")
def app_metrics(request: HttpRequest, app) -> HttpResponse:
    ws_path = f"/ws/apps/{app.name}/metrics/"
    return render(request, "dashboard/app_metrics.html", {"app": app, "ws_path": ws_path, "tab": "metrics"})
