"""The scaling page's autoscale controls (web only: a rule posted, refused with its reason, turned
off) and the sleeping state on the apps list, the overview and the scaling page."""
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from applications.models import App, Formation
from applications.services import release_create, release_go_live
from runtime.processes import ProcessState

HTMX = {"HTTP_HX_REQUEST": "true"}
RULE = {"min": 0, "max": 4, "concurrency": 5, "idle_seconds": 30}


@pytest.fixture
def shop(members, isolated) -> App:
    app = App.objects.create(name="shop", team=members.team)
    release_go_live(release_create(app=app, image="img:1", process_types={"web": "serve", "worker": "work"},
                                   description="Deploy"))
    return app


def _login(client, who: str = "operator"):
    client.force_login(get_user_model().objects.get(username=who))
    return client


def _post(client, **fields):
    form = {"type": "web", "quantity": "1", "memory_mb": "256", **fields}
    return client.post("/apps/shop/scale/set", form, **HTMX)


def _autoscale_on(**rule) -> dict:
    rule = {**RULE, **rule}
    return {"autoscale": ["off", "on"], **{f"autoscale_{name}": str(value) for name, value in rule.items()}}


def _web() -> Formation:
    return Formation.objects.get(app__name="shop", process_type="web")


def test_ticking_autoscale_stores_the_rule_and_the_quantity_becomes_the_autoscalers(client, members, shop):
    response = _post(_login(client), **_autoscale_on())
    page = response.content.decode()
    assert response.status_code == 200, page
    assert "Autoscaling web between 0 and 4 processes (sleeps when idle)." in page
    assert _web().autoscale == RULE and _web().quantity == 1
    assert re.search(r'<input name="quantity"[^>]*aria-label="quantity of web" readonly', page)
    assert re.search(r'name="autoscale" value="on" checked', page)
    assert "The autoscaler sets the quantity" in page and "it sleeps after idle seconds" in page
    api = client.get("/api/apps/shop/formation", **members.auth("viewer")).json()
    assert next(row for row in api if row["type"] == "web")["autoscale"] == RULE


def test_blank_concurrency_and_idle_seconds_take_the_defaults(client, members, shop):
    response = _post(_login(client), **_autoscale_on(min=2, max=3, concurrency="", idle_seconds=""))
    assert response.status_code == 200
    assert _web().autoscale == {"min": 2, "max": 3, "concurrency": 10, "idle_seconds": 60}
    assert _web().quantity == 2  # brought into the rule's range


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"min": 3, "max": 2}, "&quot;autoscale.min&quot; of web (3) is above &quot;autoscale.max&quot; (2)"),
        ({"max": 11}, "&quot;autoscale.max&quot; of web must be at most 10 (PAAS_AUTOSCALE_MAX"),
        ({"concurrency": 0}, "&quot;autoscale.concurrency&quot; of web must be at least 1"),
        ({"max": "four"}, "the autoscale maximum of web must be a whole number"),
        ({"min": ""}, "the autoscale minimum of web must be a whole number"),
    ],
)
def test_a_bad_rule_is_shown_as_a_message_and_changes_nothing(client, members, shop, rule, message):
    response = _post(_login(client), **_autoscale_on(**rule))
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#flash"
    assert message in response.content.decode()
    assert not Formation.objects.filter(app=shop, autoscale__isnull=False).exists()


def test_unticking_autoscale_turns_it_off_and_keeps_the_quantity(client, members, shop):
    _post(_login(client), **_autoscale_on(min=2, max=4))
    response = _post(client, quantity="2", autoscale=["off"])
    page = response.content.decode()
    assert response.status_code == 200
    assert "Autoscaling of web is off: it keeps 2." in page
    assert _web().autoscale is None and _web().quantity == 2
    assert not re.search(r'aria-label="quantity of web" readonly', page)
    assert "autoscaling of web is off: its quantity was set by hand" not in shop.activity.first().text


def test_workers_have_no_autoscale_controls_and_a_viewer_sees_the_rule(client, members, shop):
    _post(_login(client), **_autoscale_on())
    page = client.get("/apps/shop/scale/").content.decode()
    worker = re.search(r'<tr data-type="worker">.*?</tr>', page, re.S).group(0)
    assert "autoscale_min" not in worker and "Manual: only web autoscales." in worker
    assert "autoscale_min" in re.search(r'<tr data-type="web">.*?</tr>', page, re.S).group(0)
    viewer = _login(client, "viewer").get("/apps/shop/scale/").content.decode()
    assert "0 to 4, 5 requests each, sleeps after 30 s idle" in viewer
    assert "autoscale_min" not in viewer


def test_a_sleeping_app_says_so_on_the_apps_list_the_overview_and_the_scaling_page(client, members, shop, fake):
    App.objects.create(name="awake", team=members.team)
    Formation.objects.filter(app=shop, process_type="web").update(autoscale=RULE)
    shop.sleeping_since = timezone.now() - timedelta(minutes=5)
    shop.save(update_fields=["sleeping_since"])
    web = fake.add("shop", 1, ("web", 1))
    fake.states[web.id] = ProcessState(running=False, exit_code=0, restarts=0)  # stopped by the sleep
    _login(client, "viewer")

    listed = client.get("/").content.decode()
    assert re.search(r'href="/apps/shop/">shop</a>.*?<span class="badge badge-sleeping">sleeping</span>', listed, re.S)
    assert listed.count("badge-sleeping") == 1  # not the app that is awake (nor deployed)

    overview = client.get("/apps/shop/").content.decode()
    assert re.search(r'<h1>shop <span class="badge badge-sleeping"[^>]*>sleeping</span></h1>', overview)
    assert "sleeping since" in overview and "the next request wakes it" in overview
    assert re.search(r'class="badge badge-sleeping"[^>]*>web\.1 sleeping</span>', overview)

    scaling = client.get("/apps/shop/scale/").content.decode()
    assert "Sleeping since" in scaling and "the next request wakes them" in scaling
