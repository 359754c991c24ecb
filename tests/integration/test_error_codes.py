"""The API's error bodies name the kind of error ("id") beside the message, as Heroku's do."""
import pytest

from applications.models import App


@pytest.fixture
def shop(members):
    return App.objects.create(name="shop", team=members.team)


def _patch(client, members, who, body):
    return client.patch("/api/apps/shop/config-vars", body, content_type="application/json", **members.auth(who))


@pytest.mark.parametrize("who, status, body", [
    ("outsider", 404, {"error": "app 'shop' not found", "id": "not_found"}),
    ("viewer", 403, {"error": "your role (viewer) may not deploy app 'shop'", "id": "forbidden"}),
])
def test_a_refusal_by_the_policy_carries_its_code(client, members, shop, who, status, body):
    response = _patch(client, members, who, {"GREETING": "hi"})
    assert response.status_code == status and response.json() == body


def test_an_invalid_request_carries_its_code(client, members, shop):
    response = _patch(client, members, "developer", "[1, 2]")
    assert response.status_code == 400 and response.json()["id"] == "invalid_params"
