"""Reading usage back: an app's hourly buckets and totals, a team's totals per app, over a span."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from django.db.models import Sum

from accounts.models import Team
from applications.models import App
from metering.models import UsageBucket
from metering.usage import FIELDS
from paas.errors import UserError

DEFAULT_SPAN = timedelta(hours=24)
MAX_SPAN = timedelta(days=366)
HOUR = timedelta(hours=1)
FORMATS = "an ISO 8601 date or time, e.g. 2026-12-01 or 2026-12-01T09:00:00Z (UTC unless it says otherwise)"


@dataclass(frozen=True)
class Span:
    """[since, until): the buckets of the hours that overlap it."""

    since: datetime
    until: datetime

    def as_json(self) -> dict:
        return {"since": _iso(self.since), "until": _iso(self.until)}


def _moment(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)  # a date alone is its midnight
    except ValueError:
        raise UserError(f"{name}={value!r} is not {FORMATS}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def span_of(since: str | None, until: str | None, *, now: datetime | None = None) -> Span:
    """The span the query parameters name: by default the last 24 hours."""
    end = _moment("until", until) if until else (now or datetime.now(timezone.utc))
    start = _moment("since", since) if since else end - DEFAULT_SPAN
    if start > end:
        raise UserError(f"since ({_iso(start)}) is after until ({_iso(end)})")
    if end - start > MAX_SPAN:
        raise UserError(f"since and until are more than {MAX_SPAN.days} days apart; ask for a shorter span")
    return Span(start, end)


def _iso(moment: datetime | date) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _buckets(span: Span):
    return UsageBucket.objects.filter(hour__gt=span.since - HOUR, hour__lt=span.until)


def _figures(row: dict) -> dict:
    figures = {name: row.get(name) or 0 for name in FIELDS}
    return {name: value if name == "requests" else round(value, 3) for name, value in figures.items()}


def _sums(queryset, *group: str) -> list[dict]:
    return list(queryset.values(*group).annotate(**{name: Sum(name) for name in FIELDS}).order_by(*group))


def _total(rows) -> dict:
    """The sum of the figures shown per row, so that a page's rows add up to its total."""
    return _figures({name: sum(row[name] for row in rows) for name in FIELDS})


def app_usage(app: App, span: Span) -> dict:
    """Hourly buckets per process type, totals per type (0 for a type that used nothing) and overall."""
    buckets = _buckets(span).filter(app=app)
    types = {row["process_type"]: _figures(row) for row in _sums(buckets, "process_type")}
    for process_type in app.formation.values_list("process_type", flat=True):
        types.setdefault(process_type, _figures({}))
    hours = [{"hour": _iso(b["hour"]), "process_type": b["process_type"], **_figures(b)}
             for b in buckets.values("hour", "process_type", *FIELDS)]
    return {"app": app.name, **span.as_json(), "totals": _total(types.values()), "process_types": dict(sorted(types.items())),
            "hours": hours}


def team_usage(team: Team, span: Span) -> dict:
    """The team's totals, per app (0 for an app that used nothing) and per hour over all its apps."""
    buckets = _buckets(span).filter(app__team=team)
    by_app = {row["app__name"]: _figures(row) for row in _sums(buckets, "app__name")}
    apps = [{"app": name, **by_app.get(name, _figures({}))}
            for name in team.apps.order_by("name").values_list("name", flat=True)]
    hours = [{"hour": _iso(row["hour"]), **_figures(row)} for row in _sums(buckets, "hour")]
    return {"team": team.name, **span.as_json(), "totals": _total(apps), "apps": apps, "hours": hours}
