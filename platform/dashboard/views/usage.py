"""Usage pages of an app and of a team: an hourly chart of vCPU- and container-seconds, and the figures."""
from datetime import datetime, timedelta, timezone

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.policy import Action
from dashboard.http import app_view, team_view
from metering import selectors

# The spans the page offers beside the one asked for (?since=&until=, as the API takes them).
SPANS = {"24 hours": timedelta(hours=24), "7 days": timedelta(days=7), "30 days": timedelta(days=30)}


def _span(request: HttpRequest) -> selectors.Span:
    return selectors.span_of(request.GET.get("since"), request.GET.get("until"))


def _span_links() -> list[tuple[str, str]]:
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    return [(label, (now - length).strftime("%Y-%m-%dT%H:%M:%SZ")) for label, length in SPANS.items()]


def chart_of(span: selectors.Span, hours: list[dict]) -> dict:
    """uPlot's columns: every hour of the span (0 where nothing ran), summed over the rows given."""
    start = span.since.replace(minute=0, second=0, microsecond=0)
    slots = {}
    moment = start
    while moment < span.until:
        slots[moment] = [0.0, 0.0]
        moment += selectors.HOUR
    for row in hours:
        slot = slots.get(datetime.fromisoformat(row["hour"]))
        if slot is not None:
            slot[0] += row["cpu_seconds"]
            slot[1] += row["container_seconds"]
    return {
        "t": [moment.timestamp() for moment in slots],
        "cpu_seconds": [round(cpu, 3) for cpu, _ in slots.values()],
        "container_seconds": [round(seconds, 3) for _, seconds in slots.values()],
    }


@app_view(Action.VIEW, "GET")
def app_usage(request: HttpRequest, app) -> HttpResponse:
    span = _span(request)
    usage = selectors.app_usage(app, span)
    context = {"app": app, "tab": "usage", "usage": usage, "span": span, "spans": _span_links(),
               "chart": chart_of(span, usage["hours"])}
    return render(request, "dashboard/app_usage.html", context)


@team_view(Action.VIEW, "GET")
def team_usage(request: HttpRequest, team) -> HttpResponse:
    span = _span(request)
    usage = selectors.team_usage(team, span)
    context = {"team": team, "usage": usage, "span": span, "spans": _span_links(), "chart": chart_of(span, usage["hours"])}
    return render(request, "dashboard/team_usage.html", context)
