"""The builder and build-time config vars settings through the API and the dashboard."""
import pytest

from applications.build_settings import build_args
from applications.models import App


@pytest.fixture
def app(members):
    return App.objects.create(name="shop", team=members.team)


def _patch(client, members, who, body, path=""):
    return client.patch(f"/api/apps/shop{path}", body, content_type="application/json", **members.auth(who))


def test_developers_choose_the_builder_and_null_goes_back_to_choosing_per_push(client, members, app):
    response = _patch(client, members, "developer", {"builder": "pack"})
    assert response.status_code == 200 and response.json()["builder"] == "pack"
    assert _patch(client, members, "developer", {"builder": None}).json()["builder"] is None
    assert App.objects.get(pk=app.pk).builder == ""
    assert _patch(client, members, "viewer", {"builder": "pack"}).status_code == 403


def test_only_marked_config_vars_that_are_set_reach_the_build(client, members, app):
    _patch(client, members, "developer", {"PIP_INDEX_URL": "https://pypi.example/simple", "SECRET": "x"}, "/config-vars")
    response = _patch(client, members, "developer", {"build_vars": ["PIP_INDEX_URL", "NPM_CONFIG_REGISTRY", "PIP_INDEX_URL"]})
    assert response.json()["build_vars"] == ["NPM_CONFIG_REGISTRY", "PIP_INDEX_URL"]
    assert build_args(App.objects.get(pk=app.pk)) == {"PIP_INDEX_URL": "https://pypi.example/simple"}


@pytest.mark.parametrize("body, message", [
    ({"builder": "heroku/python"}, '"builder" must be one of dockerfile, buildpack, pack'),
    ({"builder": 3}, '"builder" must be one of'),
    ({"build_vars": "PIP_INDEX_URL"}, '"build_vars" must be a list of config var names'),
    ({"build_vars": [1]}, '"build_vars" must be a list of config var names'),
    ({"build_vars": ["A-B"]}, "invalid config var name 'A-B'"),
])
def test_bad_build_settings_get_a_400_saying_why_and_change_nothing(client, members, app, body, message):
    response = _patch(client, members, "developer", body)
    assert response.status_code == 400 and message in response.json()["error"]
    stored = App.objects.get(pk=app.pk)
    assert (stored.builder, stored.build_vars) == ("", [])


def test_the_config_page_marks_build_time_vars(client, members, app):
    _patch(client, members, "developer", {"PIP_INDEX_URL": "https://pypi.example/simple", "GREETING": "hi"}, "/config-vars")
    _patch(client, members, "developer", {"build_vars": ["PIP_INDEX_URL"]})
    client.force_login(members.team.memberships.get(role="viewer").user)
    page = client.get("/apps/shop/config/").content.decode()
    assert '<code>PIP_INDEX_URL</code> <span class="badge"' in page
    assert "<code>GREETING</code></td>" in page


def test_a_patch_with_one_bad_setting_changes_none_of_them(client, members, app):
    response = _patch(client, members, "admin", {"builder": "pack", "checks": {"path": "/health"}, "build_vars": "X"})
    assert response.status_code == 400
    stored = App.objects.get(pk=app.pk)
    assert (stored.builder, stored.checks, stored.build_vars) == ("", {}, [])


def test_the_overview_says_how_the_app_is_built_and_which_image_it_tracks(client, members, app):
    client.force_login(members.team.memberships.get(role="viewer").user)
    page = client.get("/apps/shop/").content.decode()
    assert "the Dockerfile if the push has one, else the builtin buildpacks" in page and "Registry" not in page
    _patch(client, members, "developer", {"builder": "buildpack", "build_vars": ["PIP_INDEX_URL"]})
    _patch(client, members, "admin", {"image_repository": "127.0.0.1:5000/shop"})
    page = client.get("/apps/shop/").content.decode()
    assert "<dd>buildpack; build-time config vars: PIP_INDEX_URL</dd>" in page
    assert "deploys pushes of <code>127.0.0.1:5000/shop:latest</code>" in page
