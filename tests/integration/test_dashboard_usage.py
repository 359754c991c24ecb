"""The dashboard's usage pages of an app and a team: the chart's hourly columns and the figures."""
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth import get_user_model

from applications.models import App
from metering.models import UsageBucket

HOUR = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
SPAN = "?since=2026-12-01T08:00:00Z&until=2026-12-01T12:00:00Z"


@pytest.fixture
def shop(members) -> App:
    app = App.objects.create(name="shop", team=members.team)
    UsageBucket.objects.create(app=app, process_type="web", hour=HOUR, cpu_seconds=12.5, container_seconds=3600, requests=9)
    UsageBucket.objects.create(app=app, process_type="worker", hour=HOUR, cpu_seconds=1800, container_seconds=1800)
    UsageBucket.objects.create(app=app, process_type="web", hour=HOUR + timedelta(hours=2), cpu_seconds=1,
                               container_seconds=60)
    return app


def _page(client, who: str, path: str) -> tuple[int, str]:
    client.force_login(get_user_model().objects.get(username=who))
    response = client.get(path)
    return response.status_code, response.content.decode()


def _chart(page: str) -> dict:
    return json.loads(re.search(r'<script id="usage-data" type="application/json">(.*?)</script>', page).group(1))


def test_an_apps_usage_page_charts_every_hour_of_the_span_and_lists_the_figures(client, members, shop):
    status, page = _page(client, "viewer", f"/apps/shop/usage/{SPAN}")
    assert status == 200
    chart = _chart(page)
    assert chart["t"] == [(HOUR + timedelta(hours=n - 1)).timestamp() for n in range(4)]
    assert chart["cpu_seconds"] == [0, 1812.5, 0, 1] and chart["container_seconds"] == [0, 5400, 0, 60]
    assert "vendor/uplot/uPlot.iife.min.js" in page and "dashboard/usage.js" in page
    assert re.search(r'data-process-type="worker"><td>worker</td><td>1800.0</td><td>1800.00</td>', page)
    assert "2026-12-01 09:00" in page and "2026-12-01 11:00" in page
    assert 'aria-current="page">Usage</a>' in page


def test_a_teams_usage_page_has_its_apps_totals_and_the_team_page_links_to_it(client, members, shop):
    App.objects.create(name="quiet", team=members.team)
    status, page = _page(client, "viewer", f"/teams/acme/usage/{SPAN}")
    assert status == 200
    assert _chart(page)["cpu_seconds"] == [0, 1812.5, 0, 1]
    assert re.search(r'data-app="quiet"><td><a href="/apps/quiet/usage/">quiet</a></td><td>0.0</td>', page)
    assert re.search(r'data-app="shop">.*?<td>5460.0</td><td>1813.50</td>', page)
    assert 'href="/teams/acme/usage/"' in _page(client, "viewer", "/teams/acme/")[1]


def test_a_bad_span_is_a_400_page_and_an_outsider_gets_a_404(client, members, shop):
    status, page = _page(client, "viewer", "/apps/shop/usage/?since=soon")
    assert status == 400 and "since=&#x27;soon&#x27; is not an ISO 8601" in page
    assert _page(client, "outsider", "/apps/shop/usage/")[0] == 404
    assert _page(client, "outsider", "/teams/acme/usage/")[0] == 404
