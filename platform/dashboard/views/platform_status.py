"""The platform's own processes, for staff: state, pid, uptime, restarts and recent events."""
import redis
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from controlplane import process_events
from controlplane.processes import status_all
from dashboard.http import user_view


@user_view("GET")
def platform_status(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise Http404("No such page")  # as for an app of another team: not known to exist
    try:
        events = process_events.recent_events()
    except redis.RedisError:
        events = None
    processes = [{"name": name, **status} for name, status in status_all().items()]
    return render(request, "dashboard/platform_status.html",
                  {"processes": processes, "events": events, "platform_log": process_events.platform_log()})
