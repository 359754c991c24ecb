"""The dashboard's live log and metrics pages: who may open them, and what they connect to."""
import re

import pytest
from django.contrib.auth import get_user_model

from applications.models import App

PAGES = ["logs", "metrics"]


@pytest.fixture
def shop(members) -> App:
    return App.objects.create(name="shop", team=members.team)


def _login(client, username: str) -> None:
    client.force_login(get_user_model().objects.get(username=username))


@pytest.mark.parametrize("role", ["viewer", "developer", "operator", "admin"])
def test_every_team_member_opens_the_log_page_wired_to_its_websocket(client, members, shop, role):
    _login(client, role)
    response = client.get("/apps/shop/logs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-ws-path="/ws/apps/shop/logs/?lines=500"' in page
    assert 'id="log-view"' in page and 'data-line-count="0"' in page
    assert "dashboard/logs.js" in page


def test_the_log_page_passes_a_bounded_history_length(client, members, shop, settings):
    settings.PAAS_LOG_LINES = 2000
    _login(client, "viewer")
    assert 'data-ws-path="/ws/apps/shop/logs/?lines=100"' in client.get("/apps/shop/logs/?lines=100").content.decode()
    assert 'data-ws-path="/ws/apps/shop/logs/?lines=2000"' in client.get("/apps/shop/logs/?lines=99999").content.decode()
    assert 'data-ws-path="/ws/apps/shop/logs/?lines=500"' in client.get("/apps/shop/logs/?lines=lots").content.decode()


def test_a_team_member_opens_the_metrics_page_with_vendored_charts(client, members, shop):
    _login(client, "viewer")
    response = client.get("/apps/shop/metrics/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-ws-path="/ws/apps/shop/metrics/"' in page
    assert "vendor/uplot/uPlot.iife.min.js" in page and "dashboard/metrics.js" in page


@pytest.mark.parametrize("page", PAGES)
def test_the_pages_load_nothing_from_other_hosts_hosts_may_be_offline(client, members, shop, page):
    _login(client, "viewer")
    html = client.get(f"/apps/shop/{page}/").content.decode()
    assets = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)
    assert assets and all(url.startswith("/static/") for url in assets), assets


@pytest.mark.parametrize("page", PAGES)
def test_an_outsider_gets_404_as_for_an_app_that_does_not_exist(client, members, shop, page):
    _login(client, "outsider")
    assert client.get(f"/apps/shop/{page}/").status_code == 404
    _login(client, "viewer")
    assert client.get(f"/apps/nosuchapp/{page}/").status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, members, shop, page):
    response = client.get(f"/apps/shop/{page}/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/apps/shop/{page}/"


def test_the_app_page_links_to_its_logs_and_metrics(client, members, shop):
    _login(client, "viewer")
    page = client.get("/apps/shop/").content.decode()
    assert 'href="/apps/shop/logs/"' in page and 'href="/apps/shop/metrics/"' in page
