"""What a restart decides (applications/restart.py), on the fake scheduler: a replacement beside
each chosen process, the router switched to them, the old ones left to the reconciler (which
keeps the newest of a slot), the running ones untouched when a replacement fails."""
import pytest

from accounts.models import Team
from applications import traffic
from applications.models import App, Formation
from applications.reconciler import Reconciler
from applications.restart import restart
from applications.services import release_create, release_go_live
from paas import logstream
from router.errors import RouterError
from router.target import Target

DRAIN = 10.0


@pytest.fixture
def shop(db, isolated, settings, fake, routes) -> App:
    """v1 of shop is live on web.1, web.2 and worker.1 (and no test reaches the real router)."""
    settings.PAAS_DRAIN_SECONDS = DRAIN
    app = App.objects.create(name="shop", team=Team.objects.create(name="acme"))
    logstream.discard(app.pk)
    Formation.objects.create(app=app, process_type="web", quantity=2, memory_mb=256, cpus=0.5)
    Formation.objects.create(app=app, process_type="worker", quantity=1, memory_mb=128, cpus=1.0)
    release_go_live(release_create(app=app, image="shop:1", process_types={"web": "", "worker": ""}, description="Deploy"))
    for slot, limits in ((("web", 1), (256, 0.5)), (("web", 2), (256, 0.5)), (("worker", 1), (128, 1.0))):
        fake.add("shop", 1, slot, memory_mb=limits[0], cpus=limits[1])
    return app


def test_a_restart_starts_a_replacement_beside_each_process_and_routes_only_the_new_web_ones(shop, fake, routes):
    old = fake.processes("shop")

    restart(shop, None)

    assert fake.started == [[("web", 1), ("web", 2), ("worker", 1)]]
    new = [p for p in fake.processes("shop") if p not in old]
    assert routes.targets == [Target.web(fake.web_addresses(new))]
    assert fake.removed == [] and fake.retired == []  # the reconciler retires the old ones


def test_after_a_restart_the_reconciler_keeps_the_replacements_and_retires_the_old_processes(shop, fake, routes):
    old = fake.processes("shop")
    restart(shop, None)

    Reconciler(fake).reconcile_app(shop)

    assert sorted(fake.retired) == sorted((p.id, DRAIN if p.process_type == "web" else 0) for p in old)
    assert fake.started == [[("web", 1), ("web", 2), ("worker", 1)]]  # nothing more


def test_restarting_one_process_keeps_the_other_web_processes_routed(shop, fake, routes):
    web1 = next(p for p in fake.processes("shop") if p.label == "web.1")

    restart(shop, "web.2")

    assert fake.started == [[("web", 2)]]
    new_web2 = fake.processes("shop")[-1]
    assert routes.targets == [Target.web([web1.address, new_web2.address])]


def test_a_replacement_that_fails_leaves_the_running_processes_as_they_were_and_routes_nothing(shop, fake, routes):
    old = fake.processes("shop")
    fake.failing = {("worker", 1)}

    restart(shop, None)

    assert fake.processes("shop") == old and routes.targets == []


def test_a_router_that_refuses_the_switch_gets_the_replacements_removed(shop, fake, monkeypatch):
    old = fake.processes("shop")

    def refuse(*args) -> None:
        raise RouterError("nginx did not reload")

    monkeypatch.setattr(traffic.routing, "route_app", refuse)
    restart(shop, None)

    assert len(fake.removed) == 3 and fake.processes("shop") == old


def test_a_process_type_the_formation_dropped_is_not_restarted(shop, fake, routes):
    fake.add("shop", 1, ("clock", 1))  # its type is in no Procfile of v1: the reconciler removes it

    restart(shop, "clock")

    assert fake.started == [[]] and routes.targets == [Target.web(fake.web_addresses(fake.processes("shop")))]


def test_a_restart_within_the_drain_of_the_previous_one_starts_each_slot_once(shop, fake, routes):
    restart(shop, "web.1")
    Reconciler(fake).reconcile_app(shop)  # the old web.1 drains for DRAIN seconds, still listed

    restart(shop, "web.1")

    assert fake.started[-1] == [("web", 1)]


def test_a_restart_does_not_route_a_process_that_a_previous_restart_superseded(shop, fake, routes):
    old_web1 = next(p for p in fake.processes("shop") if p.label == "web.1")
    restart(shop, "web.1")
    Reconciler(fake).reconcile_app(shop)  # the old web.1 drains for DRAIN seconds, still listed
    assert (old_web1.id, DRAIN) in fake.retired

    restart(shop, "web.2")

    assert old_web1.address not in routes.targets[-1].addresses


def test_turning_maintenance_off_does_not_route_a_process_that_a_restart_superseded(shop, fake, routes):
    old_web1 = next(p for p in fake.processes("shop") if p.label == "web.1")
    restart(shop, "web.1")
    Reconciler(fake).reconcile_app(shop)  # the old web.1 drains for DRAIN seconds, still listed

    assert old_web1.address not in traffic.live_web_addresses(fake, shop)


def scaled_down_to_one_web(shop, fake):
    """web.2 is beyond the formation now: the reconciler let the router go of it and it drains."""
    web2 = next(p for p in fake.processes("shop") if p.label == "web.2")
    Formation.objects.filter(app=shop, process_type="web").update(quantity=1)
    Reconciler(fake).reconcile_app(shop)
    assert (web2.id, DRAIN) in fake.retired
    return web2


def test_a_restart_within_the_drain_of_a_scale_down_neither_starts_nor_routes_the_slot_scaled_away(shop, fake, routes):
    web2 = scaled_down_to_one_web(shop, fake)

    restart(shop, None)

    assert sorted(fake.started[-1]) == [("web", 1), ("worker", 1)]
    assert len(routes.targets[-1].addresses) == 1 and web2.address not in routes.targets[-1].addresses


def test_turning_maintenance_off_within_the_drain_of_a_scale_down_does_not_route_the_slot_scaled_away(shop, fake, routes):
    web2 = scaled_down_to_one_web(shop, fake)

    assert traffic.live_web_addresses(fake, shop) == [process.address for process in fake.processes("shop") if process.label == "web.1"]
    assert web2.address not in traffic.live_web_addresses(fake, shop)
