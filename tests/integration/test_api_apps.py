import pytest

from accounts.models import ApiToken
from applications.models import App
from applications.services import release_create


def _post(client, members, who, body, **kw):
    return client.post("/api/apps", body, content_type="application/json", **members.auth(who), **kw)


def test_an_admin_creates_an_app_in_their_team(client, members):
    response = _post(client, members, "admin", {"name": "shop"})
    assert response.status_code == 201
    assert response.json()["name"] == "shop" and response.json()["team"] == "acme"
    assert App.objects.get(name="shop").team == members.team


@pytest.mark.parametrize("name", ["Shop", "1shop", "shop-", "s", "a" * 31, "shop_1", "shop.io", 42, None])
def test_invalid_app_names_get_a_clear_400(client, members, name):
    response = _post(client, members, "admin", {"name": name})
    assert response.status_code == 400
    assert "name" in response.json()["error"]


def test_a_taken_name_is_a_conflict(client, members):
    assert _post(client, members, "admin", {"name": "shop"}).status_code == 201
    response = _post(client, members, "admin", {"name": "shop"})
    assert response.status_code == 409 and "already taken" in response.json()["error"]


def test_only_team_admins_create_apps(client, members):
    response = _post(client, members, "developer", {"name": "shop"})
    assert response.status_code == 403
    assert "developer" in response.json()["error"]


def test_a_user_in_no_team_is_told_to_join_one(client, members):
    response = _post(client, members, "outsider", {"name": "shop"})
    assert response.status_code == 400 and "no team" in response.json()["error"]


def test_bad_requests_get_json_errors_not_500s(client, members):
    auth = members.auth("admin")
    assert client.post("/api/apps", "{not json", content_type="application/json", **auth).status_code == 400
    assert client.post("/api/apps", "[1]", content_type="application/json", **auth).status_code == 400
    assert client.delete("/api/apps", **auth).status_code == 405
    response = client.get("/api/no/such/thing", **auth)
    assert response.status_code == 404 and "error" in response.json()


def test_anonymous_and_bad_tokens_get_401_saying_which(client, members):
    anonymous = client.get("/api/apps")
    assert anonymous.status_code == 401 and anonymous.json()["error"].startswith("authentication required")
    response = client.get("/api/apps", HTTP_AUTHORIZATION="Bearer paas_wrong")
    assert response.status_code == 401 and response.json()["error"].startswith("the token was refused"), response.json()
    ApiToken.objects.filter(user__username="viewer").delete()  # revoked
    revoked = client.get("/api/apps", **members.auth("viewer"))
    assert revoked.status_code == 401 and "not valid or was revoked" in revoked.json()["error"]
    assert revoked["WWW-Authenticate"] == 'Bearer realm="paas"'


def test_apps_are_listed_only_to_their_team(client, members):
    _post(client, members, "admin", {"name": "shop"})
    assert [a["name"] for a in client.get("/api/apps", **members.auth("viewer")).json()] == ["shop"]
    assert client.get("/api/apps", **members.auth("outsider")).json() == []


def test_app_detail_hides_existence_from_outsiders(client, members):
    _post(client, members, "admin", {"name": "shop"})
    assert client.get("/api/apps/shop", **members.auth("viewer")).json()["team"] == "acme"
    for path in ("/api/apps/shop", "/api/apps/shop/releases", "/api/apps/shop/builds", "/api/apps/nope"):
        response = client.get(path, **members.auth("outsider"))
        assert response.status_code == 404, path


def test_releases_list_newest_first_with_integer_versions(client, members):
    _post(client, members, "admin", {"name": "shop"})
    app = App.objects.get(name="shop")
    release_create(app=app, image="img:1", process_types={"web": ""}, description="Deploy aaaaaaa")
    release_create(app=app, image="img:2", process_types={"web": ""}, description="Deploy bbbbbbb")
    releases = client.get("/api/apps/shop/releases", **members.auth("viewer")).json()
    assert [(r["version"], r["image"], r["status"]) for r in releases] == [(2, "img:2", "pending"), (1, "img:1", "pending")]
    assert set(releases[0]) >= {"version", "status", "image", "description", "created_at"}
