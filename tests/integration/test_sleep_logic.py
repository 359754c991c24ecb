"""What sleeping and waking decide (applications/sleep.py, and the reconciler and traffic decision
around them), on the fake scheduler: the database and the rollout locks (Redis) are real, the
router is a recorder."""
import pytest

from accounts.models import Team
from applications.models import App, Formation, Release
from applications.reconciler import Reconciler
from applications.services import release_create, release_go_live
from applications.sleep import WakeFailed, app_sleep, app_wake
from applications.traffic import traffic_point
from paas import logstream
from router.target import Target, TargetKind
from runtime.processes import ProcessState

RULE = {"min": 0, "max": 3, "concurrency": 10, "idle_seconds": 60}


@pytest.fixture
def shop(db, isolated, fake, routes, settings) -> App:
    """v1 of shop is live on web.1 and worker.1; web autoscales from 0 (and sleeps with no grace)."""
    settings.PAAS_DRAIN_SECONDS = 0
    app = App.objects.create(name="shop", team=Team.objects.create(name="acme"))
    logstream.discard(app.pk)
    Formation.objects.create(app=app, process_type="web", quantity=1, memory_mb=256, cpus=0.5, autoscale=RULE)
    Formation.objects.create(app=app, process_type="worker", quantity=1, memory_mb=128, cpus=1.0)
    release_go_live(_release(app))
    fake.add("shop", 1, ("web", 1), memory_mb=256, cpus=0.5)
    fake.add("shop", 1, ("worker", 1), memory_mb=128, cpus=1.0)
    return app


def _release(app: App) -> Release:
    return release_create(app=app, image="shop:1", process_types={"web": "serve", "worker": "work"}, description="Deploy")


def _one(fake, label: str):
    [found] = [p for p in fake.processes("shop") if p.label == label]
    return found


def _platform_lines(app: App) -> list[str]:
    entries, _ = logstream.recent(app.pk, 100)
    return [entry.line for entry in entries if entry.source == "platform"]


def test_a_sleeping_app_is_routed_to_the_activator_and_its_web_stopped_not_removed(shop, fake, routes):
    web = _one(fake, "web.1")
    app_sleep(fake, shop, "no request for 60s")

    shop.refresh_from_db()
    assert shop.sleeping_since is not None
    assert routes.targets == [Target.activator()]
    assert fake.of("sleep") == [(web.id,)]
    assert fake.removed == [] and web.id in fake.live  # kept for the wake
    assert not fake.state(_one(fake, "web.1")).running and fake.state(_one(fake, "worker.1")).running
    assert "Sleeping: no request for 60s; the next request wakes it" in _platform_lines(shop)


def test_the_reconciler_leaves_a_sleeping_apps_web_alone_and_keeps_its_other_types(shop, fake, routes):
    app_sleep(fake, shop, "idle")
    worker = _one(fake, "worker.1")
    fake.crash(worker)
    routes.clear()

    Reconciler(fake).reconcile_app(shop)

    assert fake.started == [[("worker", 1)]]  # the crashed worker is replaced; web is not started
    assert [p.label for p in fake.processes("shop") if fake.state(p).running] == ["worker.1"]
    assert fake.removed == [worker.id]  # the stopped web process stays
    assert routes.targets == [Target.activator()]


def test_a_wake_starts_the_same_processes_routes_them_and_the_app_is_awake(shop, fake, routes):
    web = _one(fake, "web.1")
    app_sleep(fake, shop, "idle")
    routes.clear()

    addresses = app_wake(fake, shop, "a request came in")

    assert addresses == [web.address]
    assert fake.of("wake") == [(1, ("web.1",))] and fake.started == []
    assert routes.targets == [Target.web([web.address])]
    shop.refresh_from_db()
    assert shop.sleeping_since is None
    assert any(line.startswith("Woke web.1 of v1 in ") for line in _platform_lines(shop))


def test_a_web_process_removed_while_asleep_is_started_anew_at_the_wake(shop, fake, routes):
    app_sleep(fake, shop, "idle")
    fake.remove([_one(fake, "web.1")])

    addresses = app_wake(fake, shop, "a request came in")

    assert fake.started == [[("web", 1)]]
    assert addresses == [_one(fake, "web.1").address]


def test_a_failed_wake_leaves_nothing_of_web_running_and_the_app_asleep(shop, fake, routes):
    app_sleep(fake, shop, "idle")
    fake.failing.add(("web", 1))
    routes.clear()

    with pytest.raises(WakeFailed, match="web.1 did not pass its health check"):
        app_wake(fake, shop, "a request came in")

    assert not any(fake.state(p).running for p in fake.processes("shop") if p.process_type == "web")
    assert routes.targets == []  # still the activator's
    assert App.objects.get(pk=shop.pk).sleeping_since is not None
    assert "Wake failed (a request came in): web.1 did not pass its health check" in _platform_lines(shop)


def test_turning_autoscaling_off_wakes_a_sleeping_app_at_the_next_pass(shop, fake, routes):
    app_sleep(fake, shop, "idle")
    Formation.objects.filter(app=shop, process_type="web").update(autoscale=None)
    routes.clear()

    Reconciler(fake).reconcile_app(shop)

    assert fake.of("wake") == [(1, ("web.1",))]
    assert App.objects.get(pk=shop.pk).sleeping_since is None
    assert routes.targets[-1].kind is TargetKind.WEB and routes.targets[-1].addresses


def test_routing_web_processes_wakes_the_app_and_an_empty_route_of_an_awake_app_refuses(shop, fake, routes):
    """A rollout, restart or rename routes the processes it started: the app is awake then."""
    app_sleep(fake, shop, "idle")
    new = fake.add("shop", 2, ("web", 1))
    traffic_point(shop, [new.address])
    assert App.objects.get(pk=shop.pk).sleeping_since is None
    traffic_point(shop, [])
    assert routes.targets[-2:] == [Target.web([new.address]), Target.web([])]


def test_maintenance_mode_wins_over_sleep(shop, fake, routes):
    app_sleep(fake, shop, "idle")
    App.objects.filter(pk=shop.pk).update(maintenance=True)
    traffic_point(shop, [])
    assert routes.targets[-1] == Target.maintenance()


def test_a_stopped_process_of_a_sleeping_app_is_not_called_crashed(shop, fake):
    from applications.process_status import app_status
    from applications.selectors import live_release

    app_sleep(fake, shop, "idle")
    fake.states[_one(fake, "web.1").id] = ProcessState(running=False, exit_code=143, restarts=0)
    shop.refresh_from_db()
    status = app_status(shop, live_release(shop))
    web = next(row for row in status.types if row.process_type == "web")
    assert [p.state for p in web.processes] == ["sleeping"]


def test_restarting_only_the_workers_of_a_sleeping_app_leaves_it_asleep(shop, fake, routes):
    from applications.restart import restart

    app_sleep(fake, shop, "idle")
    routes.clear()
    restart(shop, "worker")

    assert fake.started == [[("worker", 1)]]
    assert App.objects.get(pk=shop.pk).sleeping_since is not None
    assert routes.targets == [Target.activator()]


def test_restarting_a_sleeping_apps_web_wakes_it_on_new_processes(shop, fake, routes):
    from applications.restart import restart

    app_sleep(fake, shop, "idle")
    restart(shop, "web")

    [new] = [p for p in fake.processes("shop") if p.label == "web.1" and fake.state(p).running]
    assert App.objects.get(pk=shop.pk).sleeping_since is None
    assert routes.targets[-1] == Target.web([new.address])
