"""Config vars and rollback through the API: validation, releases, snapshots, permissions."""
import pytest

from applications import config_crypto
from applications.models import App, Release
from applications.services import release_create


@pytest.fixture
def app(members):
    return App.objects.create(name="shop", team=members.team)


def _patch(client, members, who, body, path="config-vars"):
    return client.patch(f"/api/apps/shop/{path}", body, content_type="application/json", **members.auth(who))


def test_setting_config_before_any_deploy_makes_no_release(client, members, app):
    response = _patch(client, members, "developer", {"GREETING": "hi"})
    assert response.status_code == 200 and response.json() == {"GREETING": "hi"}
    assert not Release.objects.exists()


def test_each_change_makes_a_release_with_a_snapshot_and_null_unsets(client, members, app, django_capture_on_commit_callbacks):
    release_create(app=app, image="img:1", process_types={"web": ""}, description="Deploy aaaaaaa")
    with django_capture_on_commit_callbacks() as queued:
        assert _patch(client, members, "developer", {"A": "1", "B": "2"}).json() == {"A": "1", "B": "2"}
    # Its rollout is queued once the transaction commits (beside the platform event for the log).
    assert [callback.__qualname__ for callback in queued].count("enqueue_on_commit.<locals>.<lambda>") == 1
    assert _patch(client, members, "developer", {"A": None, "B": "3"}).json() == {"B": "3"}
    assert _patch(client, members, "developer", {"B": "3"}).json() == {"B": "3"}  # no change, no release

    releases = list(app.releases.order_by("version"))
    assert [r.description for r in releases] == ["Deploy aaaaaaa", "Set A, B config vars", "Set B config vars; Remove A config vars"]
    assert [config_crypto.decrypt(r.config_ciphertext) for r in releases] == [{}, {"A": "1", "B": "2"}, {"B": "3"}]
    assert all(r.image == "img:1" for r in releases)


@pytest.mark.parametrize(
    "body, message",
    [
        ({"1ABC": "x"}, "invalid config var name"),
        ({"A-B": "x"}, "invalid config var name"),
        ({"PORT": "80"}, "set by the platform"),
        ({"A": 5}, "must be a string"),
        ({}, "send the config vars"),
    ],
)
def test_bad_config_vars_get_a_clear_400(client, members, app, body, message):
    response = _patch(client, members, "developer", body)
    assert response.status_code == 400 and message in response.json()["error"]


def test_viewers_may_not_read_or_change_config_values(client, members, app):
    assert client.get("/api/apps/shop/config-vars", **members.auth("viewer")).status_code == 403
    assert _patch(client, members, "viewer", {"A": "1"}).status_code == 403
    assert client.get("/api/apps/shop/config-vars", **members.auth("outsider")).status_code == 404


def test_scaling_needs_the_operator_role(client, members, app):
    body = [{"type": "web", "quantity": 2}]
    assert _patch(client, members, "developer", body, path="formation").status_code == 403
    response = _patch(client, members, "operator", body, path="formation")
    assert response.status_code == 400 and "no live release" in response.json()["error"]


def test_rollback_needs_the_deploy_role(client, members, app):
    response = client.post("/api/apps/shop/releases", {"release": 1}, content_type="application/json", **members.auth("viewer"))
    assert response.status_code == 403
