"""The formation API's autoscale rules: validation (400s naming the field), the operator role,
and a manual quantity turning autoscaling off (as on Heroku)."""
import pytest

from applications.models import App, Formation
from applications.services import release_create, release_go_live


@pytest.fixture
def app(members):
    app = App.objects.create(name="shop", team=members.team)
    release_go_live(release_create(app=app, image="img:1", process_types={"web": "", "worker": "w"}, description="Deploy"))
    return app


def _patch(client, members, body, who="operator"):
    return client.patch("/api/apps/shop/formation", body, content_type="application/json", **members.auth(who))


def _web(response) -> dict:
    return next(row for row in response.json() if row["type"] == "web")


def test_a_rule_is_stored_shown_beside_the_quantity_and_null_turns_it_off(client, members, app):
    response = _patch(client, members, [{"type": "web", "autoscale": {"min": 0, "max": 4, "concurrency": 5, "idle_seconds": 30}}])
    assert response.status_code == 200, response.json()
    assert _web(response)["quantity"] == 1
    assert _web(response)["autoscale"] == {"min": 0, "max": 4, "concurrency": 5, "idle_seconds": 30}
    shown = client.get("/api/apps/shop/formation", **members.auth("viewer"))
    assert _web(shown)["autoscale"]["max"] == 4
    defaults = _patch(client, members, [{"type": "web", "autoscale": {"min": 2, "max": 3}}])
    assert _web(defaults)["autoscale"] == {"min": 2, "max": 3, "concurrency": 10, "idle_seconds": 60}
    assert _web(defaults)["quantity"] == 2  # brought into the rule's range
    off = _patch(client, members, [{"type": "web", "autoscale": None}])
    assert _web(off)["autoscale"] is None and _web(off)["quantity"] == 2


def test_a_manual_quantity_turns_autoscaling_off_and_says_so(client, members, app):
    _patch(client, members, [{"type": "web", "autoscale": {"min": 1, "max": 4}}])
    response = _patch(client, members, [{"type": "web", "quantity": 3}])
    assert response.status_code == 200
    assert _web(response)["autoscale"] is None and _web(response)["quantity"] == 3
    entry = app.activity.first()
    assert "autoscaling of web is off: its quantity was set by hand" in entry.text


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"min": 3, "max": 2}, '"autoscale.min" of web (3) is above "autoscale.max" (2)'),
        ({"min": 0, "max": 11}, '"autoscale.max" of web must be at most 10 (PAAS_AUTOSCALE_MAX'),
        ({"min": -1, "max": 2}, '"autoscale.min" of web must be at least 0'),
        ({"min": 0, "max": 2, "concurrency": 0}, '"autoscale.concurrency" of web must be at least 1'),
        ({"min": 0, "max": 2, "idle_seconds": -5}, '"autoscale.idle_seconds" of web must be at least 1'),
        ({"min": 0, "max": "4"}, '"autoscale.max" of web must be a whole number'),
        ({"min": 0, "max": 2.5}, '"autoscale.max" of web must be a whole number'),
        ({"max": 2}, '"autoscale.min" of web is required'),
        ({"min": 0, "max": 2, "cpu": 50}, "unknown autoscale fields: cpu"),
        ([0, 4], '"autoscale" must be an object'),
    ],
)
def test_bad_rules_get_a_400_naming_the_field(client, members, app, rule, message):
    response = _patch(client, members, [{"type": "web", "autoscale": rule}])
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert Formation.objects.get(app=app, process_type="web").autoscale is None


def test_workers_stay_manual_and_quantity_with_a_rule_is_refused(client, members, app):
    worker = _patch(client, members, [{"type": "worker", "autoscale": {"min": 0, "max": 2}}])
    assert worker.status_code == 400 and '"autoscale" is for web only' in worker.json()["error"]
    both = _patch(client, members, [{"type": "web", "quantity": 2, "autoscale": {"min": 0, "max": 2}}])
    assert both.status_code == 400 and 'a "quantity" or an "autoscale" rule, not both' in both.json()["error"]


def test_a_developer_cannot_set_a_rule(client, members, app):
    assert _patch(client, members, [{"type": "web", "autoscale": {"min": 0, "max": 2}}], who="developer").status_code == 403
