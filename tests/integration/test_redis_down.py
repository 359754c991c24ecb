"""Redis away, on real sockets: changes refused with a 503 that names it and nothing written,
reads still served, errors as JSON (never Django's HTML page), the dashboard's banner and
/healthz per dependency, and the rollouts Redis lost queued again."""
import http.server
import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rq.job import Job

from applications import config_crypto, job_queue
from applications.models import App, Release
from applications.services import release_create
from builds.models import Build, BuildStatus
from observability import health
from paas import redis_check
from paas.redis_client import redis_client
from tests.support import free_port


@pytest.fixture
def app(members):
    app = App.objects.create(name="shop", team=members.team, config_ciphertext=config_crypto.encrypt({"A": "1"}))
    release_create(app=app, image="img:1", process_types={"web": ""}, description="Deploy aaaaaaa")
    return app


@pytest.fixture
def redis_down(settings, monkeypatch) -> str:
    """The platform's Redis is a port nothing listens on (connections are refused); its address."""
    port = free_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setattr(health, "_recent", None)  # the banner asks again
    return f"127.0.0.1:{port}"


@pytest.fixture
def router_up(settings):
    """An HTTP server where the router should be."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.PAAS_ROUTER_HOST, settings.PAAS_ROUTER_PORT = "127.0.0.1", server.server_address[1]
    yield
    server.shutdown()


def _patch_config(client, members, body):
    return client.patch("/api/apps/shop/config-vars", body, content_type="application/json", **members.auth("developer"))


def test_a_config_change_while_redis_is_down_is_refused_naming_it_and_changes_nothing(client, members, app, redis_down):
    response = _patch_config(client, members, {"A": "2"})
    assert response.status_code == 503
    assert response.json() == {
        "error": f"the platform's Redis at {redis_down} is unreachable; nothing was changed. Try again shortly."
    }
    app.refresh_from_db()
    assert config_crypto.decrypt(app.config_ciphertext) == {"A": "1"}
    assert app.releases.count() == 1


@pytest.mark.parametrize("method, path, body", [
    ("post", "/api/apps", {"name": "other", "team": "acme"}),
    ("post", "/api/apps/shop/releases", {"release": 1}),
    ("patch", "/api/apps/shop/formation", [{"type": "web", "quantity": 2}]),
    ("delete", "/api/apps/shop/dynos", None),
    ("patch", "/api/apps/shop", {"maintenance": True}),
    ("delete", "/api/apps/shop", None),
])
def test_every_change_that_needs_redis_is_refused_before_it_writes(client, members, app, redis_down, method, path, body):
    response = getattr(client, method)(path, body, content_type="application/json", **members.auth("admin"))
    assert response.status_code == 503 and "nothing was changed" in response.json()["error"]
    assert list(App.objects.values_list("name", "maintenance")) == [("shop", False)]
    assert app.releases.count() == 1 and app.formation.count() == 0


def test_reads_and_changes_that_need_no_redis_still_work_while_it_is_down(client, members, app, redis_down):
    assert client.get("/api/apps/shop/config-vars", **members.auth("developer")).json() == {"A": "1"}
    response = client.post("/api/tokens", {}, content_type="application/json", **members.auth("developer"))
    assert response.status_code == 201


@pytest.mark.urls("tests.integration.failing_urls")
def test_redis_going_away_under_an_api_request_answers_503_json_naming_it(client, members):
    response = client.get("/api/endpoint-redis-gone", **members.auth("viewer"))
    assert response.status_code == 503
    assert response.json()["error"].startswith(f"the platform's Redis at {redis_check.redis_address()} is unreachable; the request stopped")


def test_redis_going_away_under_a_dashboard_page_answers_a_readable_503(client, members, app, redis_down):
    """A running build's output is read from Redis: no check before a read, so it fails mid-request."""
    build = Build.objects.create(app=app, commit="a" * 40, ref="refs/heads/main", status=BuildStatus.BUILDING)
    client.force_login(get_user_model().objects.get(username="viewer"))
    response = client.get(f"/apps/shop/builds/{build.pk}/output", HTTP_HX_REQUEST="true")
    assert response.status_code == 503 and response["HX-Retarget"] == "#flash"
    assert f"Redis at {redis_down} is unreachable; the request stopped" in response.content.decode()


@pytest.mark.urls("tests.integration.failing_urls")
def test_errors_no_view_expected_answer_json_for_the_api_and_a_page_for_the_dashboard(db):
    client = Client(raise_request_exception=False)  # as a real server: Django answers with handler500
    crashed = client.get("/api/crash")
    assert crashed.status_code == 500 and crashed["Content-Type"] == "application/json"
    assert crashed.json() == {"error": "internal error in the platform (see its web log)"}
    lost = client.get("/api/redis-gone")
    assert lost.status_code == 503 and "Redis at" in lost.json()["error"]
    page = client.get("/crash")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
    assert b"Internal error in the platform (see its web log)" in page.content
    assert b"Server Error (500)" not in page.content


def test_a_dashboard_form_while_redis_is_down_gets_a_message_and_changes_nothing(client, members, app, redis_down):
    client.force_login(get_user_model().objects.get(username="developer"))
    response = client.post("/apps/shop/config/set", {"name": "A", "value": "2"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 503 and response["HX-Retarget"] == "#flash"
    assert f"Redis at {redis_down} is unreachable; nothing was changed" in response.content.decode()
    app.refresh_from_db()
    assert config_crypto.decrypt(app.config_ciphertext) == {"A": "1"}


BANNER = "Redis is unreachable: changes are refused until it is back; apps keep serving."


def test_every_dashboard_page_shows_a_banner_while_redis_is_down(client, members, app, redis_down):
    client.force_login(get_user_model().objects.get(username="developer"))
    for page in ("/", "/apps/shop/", "/apps/shop/config/", "/teams/"):
        response = client.get(page)
        assert response.status_code == 200 and BANNER in response.content.decode(), page


def test_no_redis_banner_while_redis_answers(client, members, app, redis_server, monkeypatch):
    monkeypatch.setattr(health, "_recent", None)
    client.force_login(get_user_model().objects.get(username="developer"))
    assert BANNER not in client.get("/apps/shop/").content.decode()


def test_healthz_names_the_dependency_that_is_down(client, db, redis_down, router_up, docker_engine):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["checks"]["redis"]["ok"] is False and redis_down in body["checks"]["redis"]["error"]
    assert {name: check["ok"] for name, check in body["checks"].items() if name != "redis"} == {
        "database": True, "engine": True, "router": True,
    }


def test_healthz_is_ok_only_when_every_dependency_answers(client, db, redis_server, router_up, docker_engine, settings):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["ok"] is True
    settings.PAAS_ROUTER_PORT = free_port()  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["router"]["ok"] is False


@pytest.fixture
def own_jobs(redis_server, settings):
    """Job ids of this test alone (the deploys queue is shared by every test run on this Redis)."""
    settings.PAAS_INSTANCE = f"stranded{timezone.now().timestamp():.6f}".replace(".", "")
    yield
    for job_id in redis_client().keys(f"rq:job:paas-{settings.PAAS_INSTANCE}-release-*"):
        Job.fetch(job_id.decode().removeprefix("rq:job:"), connection=redis_client()).delete()


def _made_long_ago(release: Release) -> Release:
    Release.objects.filter(pk=release.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    return release


def test_a_pending_release_whose_rollout_redis_lost_is_queued_again_once(
    members, app, own_jobs, settings, django_capture_on_commit_callbacks
):
    lost = _made_long_ago(release_create(app=app, image="img:1", process_types={"web": ""}, description="Set A"))
    just_made = release_create(app=app, image="img:1", process_types={"web": ""}, description="Set B")
    build = Build.objects.create(app=app, commit="a" * 40, ref="refs/heads/main")
    from_a_build = _made_long_ago(
        release_create(app=app, image="img:2", process_types={"web": ""}, description="Deploy", build=build)
    )
    first_release = app.releases.get(version=1)
    _made_long_ago(first_release)

    with django_capture_on_commit_callbacks(execute=True):  # django_rq queues on commit inside a transaction
        queued = job_queue.stranded_rollouts_queue()
    # Not the one whose request may still queue it, nor a build's (its build job rolls it out).
    assert queued == [first_release.pk, lost.pk]
    assert just_made.pk not in queued and from_a_build.pk not in queued
    job = Job.fetch(f"paas-{settings.PAAS_INSTANCE}-release-{lost.pk}", connection=redis_client())
    assert job.func_name == "applications.jobs.roll_out_release" and job.args == (lost.pk,)
    assert job_queue.stranded_rollouts_queue() == []  # queued now: not again

