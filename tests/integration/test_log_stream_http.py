"""GET /api/apps/{app}/log-stream without tail: the recent lines as text (tail is end-to-end)."""
import time

import pytest

from applications.models import App
from paas import logstream


@pytest.fixture
def app(members, redis_server, settings) -> App:
    settings.PAAS_INSTANCE = f"ls{time.monotonic_ns()}"
    app = App.objects.create(name="shop", team=members.team)
    logstream.discard(app.pk)
    logstream.append(app.pk, [
        logstream.Line("2026-11-23T10:00:00.000001Z", "build", "", "-----> Building"),
        logstream.Line("2026-11-23T10:00:01.000002Z", "app", "web.1", "listening on 5000"),
        logstream.Line("2026-11-23T10:00:02.000003Z", "router", "", "at=info method=GET path=\"/\" status=200"),
    ])
    return app


def test_recent_lines_come_as_heroku_style_text(client, members, app):
    response = client.get("/api/apps/shop/log-stream?lines=2", **members.auth("viewer"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().splitlines() == [
        "2026-11-23T10:00:01.000002Z app[web.1]: listening on 5000",
        '2026-11-23T10:00:02.000003Z router: at=info method=GET path="/" status=200',
    ]


def test_lines_can_be_filtered_by_source_and_process(client, members, app):
    by_source = client.get("/api/apps/shop/log-stream?source=build", **members.auth("viewer"))
    by_process = client.get("/api/apps/shop/log-stream?process=web.1", **members.auth("viewer"))
    assert by_source.content.decode() == "2026-11-23T10:00:00.000001Z build: -----> Building\n"
    assert by_process.content.decode() == "2026-11-23T10:00:01.000002Z app[web.1]: listening on 5000\n"


@pytest.mark.parametrize(
    "query, status, message",
    [
        ("lines=many", 400, '"lines" must be a number'),
        ("tail=maybe", 400, '"tail" must be true or false'),
        ("source=disk", 400, '"source" must be one of'),
    ],
)
def test_bad_parameters_get_a_clear_400(client, members, app, query, status, message):
    response = client.get(f"/api/apps/shop/log-stream?{query}", **members.auth("viewer"))
    assert response.status_code == status
    assert message in response.json()["error"]


def test_outsiders_and_unknown_apps_get_404_and_anonymous_401(client, members, app):
    assert client.get("/api/apps/shop/log-stream", **members.auth("outsider")).status_code == 404
    assert client.get("/api/apps/nosuch/log-stream", **members.auth("viewer")).status_code == 404
    anonymous = client.get("/api/apps/shop/log-stream")
    assert anonymous.status_code == 401 and "Bearer" in anonymous.json()["error"]
    assert client.post("/api/apps/shop/log-stream", **members.auth("viewer")).status_code == 405
