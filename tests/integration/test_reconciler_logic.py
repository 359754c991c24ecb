"""What the reconciler decides (applications/reconciler.py), on the fake scheduler: missing and
crashed processes, back-off, surplus and drain, other releases' processes, orphans, limits.
The database and the rollout locks (Redis) are real; the router is a recorder; the reconciler's
clock is the test's."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Team
from applications import reconciler
from applications.locks import app_rollout_lock, name_rollout_lock
from applications.models import App, Formation, Release, ReleaseStatus
from applications.reconciler import MAX_BACKOFF, Reconciler
from applications.services import release_create, release_go_live, release_mark
from paas import logstream
from router.target import Target
from runtime.processes import ProcessState

DRAIN = 10.0
# reconcile_all() first closes the thread's old connections, as the reconciler's loop must; on
# PostgreSQL that closes the test's transaction too (SQLite's in-memory database stays open), so
# the tests of whole passes commit for real.
whole_passes = pytest.mark.django_db(transaction=True)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(reconciler, "time", clock)
    return clock


@pytest.fixture
def shop(db, isolated, settings, fake, clock, routes) -> App:
    """v1 of shop is live on web.1, web.2 and worker.1, with the formation's limits (and no
    test reaches the real router)."""
    settings.PAAS_DRAIN_SECONDS = DRAIN
    app = App.objects.create(name="shop", team=Team.objects.create(name="acme"))
    logstream.discard(app.pk)
    Formation.objects.create(app=app, process_type="web", quantity=2, memory_mb=256, cpus=0.5)
    Formation.objects.create(app=app, process_type="worker", quantity=1, memory_mb=128, cpus=1.0)
    release_go_live(new_release(app))
    for slot, limits in ((("web", 1), (256, 0.5)), (("web", 2), (256, 0.5)), (("worker", 1), (128, 1.0))):
        fake.add("shop", 1, slot, memory_mb=limits[0], cpus=limits[1])
    return app


def new_release(app: App) -> Release:
    return release_create(app=app, image="shop:1", process_types={"web": "gunicorn shop", "worker": ""}, description="Deploy")


def process(fake, label: str, release: int = 1):
    [found] = [p for p in fake.processes("shop") if p.label == label and p.release == release]
    return found


def web_target(fake) -> Target:
    return Target.web(fake.web_addresses(fake.processes("shop")))


def test_a_missing_process_of_the_live_formation_is_started_and_routed(shop, fake, routes):
    fake.remove([process(fake, "web.2")])
    fake.calls.clear()

    Reconciler(fake).reconcile_app(shop)

    assert fake.started == [[("web", 2)]]
    assert routes.targets[-1] == web_target(fake) and len(routes.targets[-1].addresses) == 2


def test_a_crashed_process_is_removed_and_replaced_while_the_live_ones_take_the_traffic(shop, fake, routes):
    crashed, web2 = process(fake, "web.1"), process(fake, "web.2")
    fake.crash(crashed, exit_code=137)

    Reconciler(fake).reconcile_app(shop)

    assert fake.removed == [crashed.id] and fake.started == [[("web", 1)]]
    assert routes.targets[0] == Target.web([web2.address])  # while the replacement starts
    assert routes.targets[-1] == web_target(fake) and crashed.address not in routes.targets[-1].addresses


def test_a_process_the_engine_is_restarting_is_left_alone(shop, fake, routes):
    web1 = process(fake, "web.1")
    fake.states[web1.id] = ProcessState(running=False, exit_code=1, restarts=3, restarting=True)

    Reconciler(fake).reconcile_app(shop)

    assert fake.calls == []


def test_a_replacement_that_does_not_start_is_tried_again_only_after_a_back_off_doubling_up_to_the_cap(shop, fake, clock):
    fake.crash(process(fake, "web.1"))
    fake.failing = {("web", 1)}
    passes = Reconciler(fake)
    passes.reconcile_app(shop)
    assert fake.started == [[("web", 1)]]

    for failures in range(1, 11):
        last, delay = clock.now, min(2.0**failures, MAX_BACKOFF)
        clock.now = last + delay - 0.01
        passes.reconcile_app(shop)
        assert len(fake.started) == failures, f"a start before the back-off of {delay}s ended"
        clock.now = last + delay
        passes.reconcile_app(shop)
        assert len(fake.started) == failures + 1, f"no start once the back-off of {delay}s ended"
    assert delay == MAX_BACKOFF


def test_a_replacement_that_crashes_soon_after_it_started_backs_off_and_one_that_stayed_up_does_not(shop, fake, clock):
    passes = Reconciler(fake)
    fake.crash(process(fake, "web.1"))
    passes.reconcile_app(shop)  # a first crash: replaced at once
    assert fake.started == [[("web", 1)]]

    clock.now += 10
    fake.crash(process(fake, "web.1"))
    passes.reconcile_app(shop)
    assert len(fake.started) == 1  # it died 10 s after its start: a crash loop
    clock.now += 2
    passes.reconcile_app(shop)
    assert len(fake.started) == 2

    clock.now += reconciler.HEALTHY_AFTER + 1
    passes.reconcile_app(shop)  # up for longer than HEALTHY_AFTER: the back-off is forgotten
    fake.crash(process(fake, "web.1"))
    passes.reconcile_app(shop)
    assert len(fake.started) == 3
    clock.now += 10
    fake.crash(process(fake, "web.1"))
    passes.reconcile_app(shop)
    clock.now += 2  # the first back-off again, not the second's 4 s
    passes.reconcile_app(shop)
    assert len(fake.started) == 4


def test_a_new_release_does_not_inherit_the_back_off_of_the_release_it_replaced(shop, fake, clock):
    fake.crash(process(fake, "web.1"))
    fake.failing = {("web", 1)}
    passes = Reconciler(fake)
    for failures in range(6):  # v1's web.1 keeps failing: its back-off has grown to 64 s
        clock.now += 2.0**failures if failures else 0
        passes.reconcile_app(shop)
    assert len(fake.started) == 6
    fake.failing = set()
    release_go_live(new_release(shop))  # v2 fixes it; its rollout started its formation
    for slot in (("web", 1), ("web", 2), ("worker", 1)):
        fake.add("shop", 2, slot, memory_mb=256 if slot[0] == "web" else 128, cpus=0.5 if slot[0] == "web" else 1.0)
    passes.reconcile_app(shop)
    starts = len(fake.started)

    clock.now += 5
    fake.crash(process(fake, "web.1", release=2))  # its first crash
    passes.reconcile_app(shop)

    assert len(fake.started) == starts + 1, "v2's web.1 waits out v1's back-off"


def test_surplus_processes_keep_the_newest_of_a_slot_and_retire_the_others_web_after_the_drain(shop, fake, routes):
    old_web1, old_worker = process(fake, "web.1"), process(fake, "worker.1")
    new_web1 = fake.add("shop", 1, ("web", 1), memory_mb=256, cpus=0.5)  # a restart's replacement
    fake.add("shop", 1, ("worker", 1), memory_mb=128, cpus=1.0)
    web3 = fake.add("shop", 1, ("web", 3), memory_mb=256, cpus=0.5)  # scaled down from 3

    passes = Reconciler(fake)
    passes.reconcile_app(shop)

    assert sorted(fake.retired) == sorted([(old_web1.id, DRAIN), (old_worker.id, 0), (web3.id, DRAIN)])
    assert fake.started == [] and fake.removed == []
    assert routes.targets[-1] == Target.web([new_web1.address, process(fake, "web.2").address])
    calls = list(fake.calls)
    fake.finish_retiring()
    passes.reconcile_app(shop)  # once they are gone, the formation is whole: nothing to do
    assert fake.calls == calls and routes.targets[-1] == routes.targets[-2]


def test_processes_of_a_retired_release_are_retired_only_once_the_drain_since_its_retirement_passed(shop, fake):
    old = fake.processes("shop")
    release_go_live(new_release(shop))  # v2; v1 retired now
    for slot in (("web", 1), ("web", 2), ("worker", 1)):
        fake.add("shop", 2, slot, memory_mb=256 if slot[0] == "web" else 128, cpus=0.5 if slot[0] == "web" else 1.0)
    v1 = shop.releases.filter(version=1)
    v1.update(retired_at=timezone.now() - timedelta(seconds=DRAIN - 2))

    Reconciler(fake).reconcile_app(shop)
    assert fake.retired == []

    v1.update(retired_at=timezone.now() - timedelta(seconds=DRAIN + 1))
    Reconciler(fake).reconcile_app(shop)
    assert sorted(fake.retired) == sorted((p.id, 0) for p in old)
    assert fake.started == [] and fake.removed == []


def test_processes_of_failed_unknown_and_interrupted_releases_are_removed_and_interrupted_ones_failed(shop, fake):
    failed, interrupted, deploying = new_release(shop), new_release(shop), new_release(shop)  # v2, v3, v4
    release_mark(failed, ReleaseStatus.FAILED, "did not pass its check")
    release_mark(deploying, ReleaseStatus.DEPLOYING)  # its worker died before it started anything
    # v3 is still pending with processes: the rollout that started them died (we hold its lock).
    leftovers = [fake.add("shop", 2, ("web", 1)), fake.add("shop", 3, ("web", 1)), fake.add("shop", 9, ("web", 1))]

    Reconciler(fake).reconcile_app(shop)

    assert fake.removed == [p.id for p in leftovers] and fake.retired == []
    for release in (interrupted, deploying):
        release.refresh_from_db()
        assert release.status == ReleaseStatus.FAILED and "interrupted" in release.failure_reason


def test_an_app_whose_rollout_lock_is_held_is_left_alone(shop, fake, routes):
    fake.crash(process(fake, "web.1"))

    with app_rollout_lock(shop):
        Reconciler(fake).reconcile_app(shop)

    assert fake.calls == [] and routes.targets == []


@whole_passes
def test_processes_of_an_unknown_app_name_are_retired_a_drain_window_after_they_were_first_seen(shop, fake, clock, routes):
    orphan = fake.add("gone", 3, ("web", 1))
    passes = Reconciler(fake)
    passes.reconcile_all()
    clock.now += DRAIN - 0.01
    passes.reconcile_all()
    assert fake.retired == []

    clock.now += 0.01
    passes.reconcile_all()
    assert fake.retired == [(orphan.id, 0)]  # and none of shop's


@whole_passes
def test_processes_of_an_app_name_being_renamed_are_left_until_a_drain_after_the_rename(shop, fake, clock, routes):
    orphan = fake.add("gone", 3, ("web", 1))
    passes = Reconciler(fake)
    passes.reconcile_all()
    clock.now += DRAIN
    with name_rollout_lock("gone"):
        passes.reconcile_all()
    assert fake.retired == []

    passes.reconcile_all()  # the rename just ended: its drain window starts now
    assert fake.retired == []
    clock.now += DRAIN
    passes.reconcile_all()
    assert fake.retired == [(orphan.id, 0)]


@whole_passes
def test_processes_first_seen_while_their_rename_runs_get_a_whole_drain_window_after_it_ends(shop, fake, clock, routes):
    orphan = fake.add("gone", 3, ("web", 1))  # the database has the new name; the new processes start
    passes = Reconciler(fake)
    with name_rollout_lock("gone"):
        passes.reconcile_all()
        clock.now += DRAIN / 2  # the new processes passed their checks: the router switches
    passes.reconcile_all()  # the rename is over

    clock.now += DRAIN / 2
    passes.reconcile_all()
    assert fake.retired == [], "retired half a drain window after the router let go of it"
    clock.now += DRAIN / 2
    passes.reconcile_all()
    assert fake.retired == [(orphan.id, 0)]


def test_limits_are_fitted_to_running_processes_when_the_formation_changes(shop, fake):
    Reconciler(fake).reconcile_app(shop)
    assert fake.of("fit_limits") == []

    Formation.objects.filter(app=shop, process_type="web").update(memory_mb=512)
    Reconciler(fake).reconcile_app(shop)

    web = [process(fake, "web.1"), process(fake, "web.2")]
    assert sorted(fake.of("fit_limits")) == sorted((p.id, 512, 0.5) for p in web)
    assert fake.started == [] and fake.removed == []


def test_an_app_renamed_since_the_pass_listed_it_is_left_to_the_next_pass(shop, fake, routes):
    """A pass lists the apps, then takes each one's lock in turn: one renamed meanwhile (a failed
    rename put its name back, say) must not be started and routed under the name the pass read.
    It was: a reload of nginx for the stale host name, its endpoint pointed at nothing, and
    another reload to undo it."""
    listed = App.objects.get(pk=shop.pk)
    App.objects.filter(pk=shop.pk).update(name="renamed")
    fake.crash(process(fake, "web.1"))

    Reconciler(fake).reconcile_app(listed)

    assert fake.started == [] and fake.removed == [] and routes == []
