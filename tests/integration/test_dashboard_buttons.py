"""The dashboard shows each role the buttons it may use and no others (the server refuses the
rest anyway: tests/integration/test_access_table.py)."""
import pytest
from django.contrib.auth import get_user_model

from applications.config_vars import config_vars_update
from applications.models import App, Formation, Release, ReleaseStatus

ROLES = ["viewer", "developer", "operator", "admin"]
# What marks each control in the page, and the lowest role that sees it.
CONTROLS = [
    ("/apps/shop/releases/", 'class="rollback"', "developer"),
    ("/apps/shop/config/", 'class="reveal"', "developer"),
    ("/apps/shop/config/", 'class="unset"', "developer"),
    ("/apps/shop/config/", "/config/set", "developer"),
    ("/apps/shop/scale/", "/scale/set", "operator"),
    ("/apps/shop/scale/", "/restart", "operator"),
    ("/apps/shop/scale/", "/maintenance", "operator"),
    ("/apps/shop/", "/delete", "admin"),
    ("/apps/shop/", "/rename", "admin"),
    ("/teams/acme/", "/members/add", "admin"),
    ("/teams/acme/", "/remove", "admin"),
    ("/teams/acme/", "/leave", "viewer"),
    ("/", "/apps/new", "admin"),
]


@pytest.fixture
def shop(members):
    app = App.objects.create(name="shop", team=members.team)
    Release.objects.create(app=app, version=1, image="img:1", description="Deploy a", status=ReleaseStatus.RETIRED)
    Release.objects.create(app=app, version=2, image="img:2", description="Deploy b", status=ReleaseStatus.LIVE)
    Formation.objects.create(app=app, process_type="web", quantity=1, memory_mb=256, cpus=1.0)
    config_vars_update(app=app, user=None, changes={"SECRET_TOKEN": "s3cr3t-value"})
    return app


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_the_controls_it_may_use(client, members, shop, role):
    client.force_login(get_user_model().objects.get(username=role))
    for path, marker, lowest in CONTROLS:
        page = client.get(path).content.decode()
        shown = marker in page
        assert shown == (ROLES.index(role) >= ROLES.index(lowest)), f"{marker} on {path} for {role}"


@pytest.mark.parametrize("role", ROLES)
def test_config_values_never_reach_the_page_until_revealed(client, members, shop, role):
    client.force_login(get_user_model().objects.get(username=role))
    page = client.get("/apps/shop/config/").content.decode()
    assert "SECRET_TOKEN" in page and "s3cr3t-value" not in page
    revealed = client.get("/apps/shop/config/SECRET_TOKEN/reveal")
    if role == "viewer":
        assert revealed.status_code == 403
    else:
        assert revealed.status_code == 200 and "s3cr3t-value" in revealed.content.decode()
