"""The usage API: an app's hourly buckets and totals, a team's per app, their spans and refusals."""
from datetime import datetime, timedelta, timezone

import pytest

from accounts.models import Role, Team
from applications.models import App, Formation
from metering.models import UsageBucket

HOUR = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)


def get(client, members, who, path):
    return client.get(f"/api{path}", **members.auth(who))


def bucket(app: App, process_type: str, hour: datetime, cpu: float, seconds: float, requests: int = 0) -> None:
    UsageBucket.objects.create(app=app, process_type=process_type, hour=hour, cpu_seconds=cpu, container_seconds=seconds,
                               memory_reserved_gb_seconds=seconds / 2, memory_used_gb_seconds=seconds / 8,
                               requests=requests)


@pytest.fixture
def shop(members) -> App:
    app = App.objects.create(name="shop", team=members.team)
    for process_type in ("web", "worker", "idle"):
        Formation.objects.create(app=app, process_type=process_type, quantity=1, memory_mb=512, cpus=1.0)
    bucket(app, "web", HOUR, 10.0, 3600, requests=500)
    bucket(app, "worker", HOUR, 3000.5, 3600)
    bucket(app, "web", HOUR + timedelta(hours=1), 2.25, 1800, requests=20)
    bucket(app, "web", HOUR - timedelta(hours=5), 99, 99)  # outside the span below
    return app


SPAN = "?since=2026-12-01T09:30:00Z&until=2026-12-01T11:00:00Z"


def test_an_apps_usage_has_hourly_buckets_per_type_and_totals(client, members, shop):
    response = get(client, members, "viewer", f"/apps/shop/usage{SPAN}")
    assert response.status_code == 200
    body = response.json()
    assert body["since"] == "2026-12-01T09:30:00Z" and body["until"] == "2026-12-01T11:00:00Z"
    assert [(h["hour"], h["process_type"], h["cpu_seconds"]) for h in body["hours"]] == [
        ("2026-12-01T09:00:00Z", "web", 10.0), ("2026-12-01T09:00:00Z", "worker", 3000.5),
        ("2026-12-01T10:00:00Z", "web", 2.25),
    ]
    assert body["process_types"]["web"] == {"container_seconds": 5400, "cpu_seconds": 12.25, "memory_reserved_gb_seconds": 2700,
                                            "memory_used_gb_seconds": 675, "requests": 520}
    assert body["process_types"]["idle"] == dict.fromkeys(body["totals"], 0)  # in the formation, used nothing
    assert body["totals"]["cpu_seconds"] == 3012.75 and body["totals"]["container_seconds"] == 9000
    assert body["totals"]["requests"] == 520


def test_the_default_span_is_the_last_24_hours(client, members, shop):
    recent = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    bucket(shop, "worker", recent, 7, 60)
    body = get(client, members, "viewer", "/apps/shop/usage").json()
    until = datetime.fromisoformat(body["until"])
    assert until - datetime.fromisoformat(body["since"]) == timedelta(hours=24)
    assert abs(until - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert body["totals"]["cpu_seconds"] == 7


def test_dates_are_their_midnight_utc(client, members, shop):
    body = get(client, members, "viewer", "/apps/shop/usage?since=2026-12-01&until=2026-12-02").json()
    assert body["since"] == "2026-12-01T00:00:00Z" and body["until"] == "2026-12-02T00:00:00Z"
    assert body["totals"]["cpu_seconds"] == 99 + 3012.75


@pytest.mark.parametrize("query, named", [
    ("since=yesterday", "since='yesterday'"),
    ("until=2026-13-01", "until='2026-13-01'"),
    ("since=2026-12-02&until=2026-12-01", "since (2026-12-02T00:00:00Z) is after until"),
    ("since=2020-01-01&until=2026-01-01", "more than 366 days apart"),
])
def test_bad_spans_are_400s_that_name_the_parameter(client, members, shop, query, named):
    for path in ("/apps/shop/usage", "/teams/acme/usage"):
        response = get(client, members, "viewer", f"{path}?{query}")
        assert response.status_code == 400 and named in response.json()["error"]
        assert response.json()["id"] == "invalid_params"


def test_another_teams_app_and_team_are_404s(client, members, shop):
    other = Team.objects.create(name="other")
    members.add("stranger", Role.ADMIN, team=other)
    assert get(client, members, "stranger", "/apps/shop/usage").status_code == 404
    assert get(client, members, "stranger", "/teams/acme/usage").status_code == 404
    assert get(client, members, "outsider", "/teams/acme/usage").status_code == 404


def test_a_teams_usage_has_totals_per_app_and_per_hour(client, members, shop):
    App.objects.create(name="quiet", team=members.team)
    elsewhere = App.objects.create(name="elsewhere", team=Team.objects.create(name="other"))
    bucket(elsewhere, "web", HOUR, 1000, 1000)
    response = get(client, members, "viewer", f"/teams/acme/usage{SPAN}")
    assert response.status_code == 200
    body = response.json()
    assert body["team"] == "acme" and body["totals"]["cpu_seconds"] == 3012.75
    assert [(a["app"], a["cpu_seconds"], a["requests"]) for a in body["apps"]] == [("quiet", 0, 0), ("shop", 3012.75, 520)]
    assert [(h["hour"], h["container_seconds"]) for h in body["hours"]] == [
        ("2026-12-01T09:00:00Z", 7200), ("2026-12-01T10:00:00Z", 1800),
    ]
