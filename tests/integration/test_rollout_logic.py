"""What a rollout decides (applications/rollout.py), on the fake scheduler: order, superseded
releases, the release's status, what is routed and what is removed on failure. The database
and the rollout lock (Redis) are real; the router is a recorder."""
import pytest

from accounts.models import Team
from applications.locks import RolloutFailed
from applications.models import App, Formation, Release, ReleaseStatus
from applications.rollout import release_roll_out
from applications.services import release_create, release_go_live
from paas import logstream
from router.target import Target

PROCESS_TYPES = {"web": "gunicorn shop", "worker": "celery -A shop worker"}


@pytest.fixture
def shop(db, isolated, settings, routes) -> App:
    """The app (no test reaches the real router)."""
    settings.PAAS_APPS_DOMAIN = "apps.test"
    app = App.objects.create(name="shop", team=Team.objects.create(name="acme"))
    logstream.discard(app.pk)
    Formation.objects.create(app=app, process_type="web", quantity=2, memory_mb=256, cpus=0.5)
    Formation.objects.create(app=app, process_type="worker", quantity=1, memory_mb=128, cpus=1.0)
    return app


def new_release(app: App, process_types=PROCESS_TYPES) -> Release:
    return release_create(app=app, image=f"shop:{app.releases.count() + 1}", process_types=process_types, description="Deploy")


@pytest.fixture
def serving(shop, fake) -> list:
    """v1 is live on a web and a worker process."""
    release_go_live(new_release(shop))
    return [fake.add("shop", 1, ("web", 1)), fake.add("shop", 1, ("worker", 1))]


def status(release: Release) -> str:
    release.refresh_from_db()
    return release.status


def test_a_pending_release_goes_live_on_its_whole_formation_and_the_router_gets_its_web_addresses(shop, fake, routes, serving):
    v2 = new_release(shop)

    assert release_roll_out(v2, lambda line: None) is True

    assert status(v2) == ReleaseStatus.LIVE
    v1 = shop.releases.get(version=1)
    assert v1.status == ReleaseStatus.RETIRED and v1.retired_at is not None
    assert fake.started == [[("web", 1), ("web", 2), ("worker", 1)]]
    new_web = sorted((p for p in fake.processes("shop") if p.release == 2 and p.process_type == "web"), key=lambda p: p.index)
    assert routes == [(shop.pk, ["shop.apps.test"], Target.web([p.address for p in new_web]))]
    assert fake.limits[new_web[0].id] == (256, 0.5)
    # The old processes serve on until the reconciler retires them after the drain window.
    assert all(p.id in fake.live for p in serving) and fake.removed == [] and fake.retired == []


def test_the_route_of_a_rollout_is_maintenance_when_the_app_is_in_maintenance_mode(shop, fake, routes, serving):
    v2 = new_release(shop)
    App.objects.filter(pk=shop.pk).update(maintenance=True)  # after this copy of the app was read

    release_roll_out(v2, lambda line: None)

    assert status(v2) == ReleaseStatus.LIVE
    assert routes == [(shop.pk, ["shop.apps.test"], Target.maintenance())]


def test_a_start_failure_marks_the_release_failed_routes_nothing_and_leaves_the_old_processes(shop, fake, routes, serving):
    v2 = new_release(shop)
    fake.failing = {("web", 2)}

    with pytest.raises(RolloutFailed, match="web.2 did not pass its health check"):
        release_roll_out(v2, lambda line: None)

    v2.refresh_from_db()
    assert v2.status == ReleaseStatus.FAILED and "web.2 did not pass" in v2.failure_reason
    assert status(shop.releases.get(version=1)) == ReleaseStatus.LIVE
    assert routes == []
    assert fake.processes("shop") == serving


def test_a_release_older_than_the_live_one_is_retired_as_superseded_and_starts_nothing(shop, fake, routes, serving):
    v2 = new_release(shop)
    release_go_live(new_release(shop))  # v3 went live while v2's rollout was still queued
    told = []

    assert release_roll_out(v2, told.append) is False

    v2.refresh_from_db()
    assert v2.status == ReleaseStatus.RETIRED and v2.failure_reason == "superseded by v3, which went live first"
    assert told == ["v2 was superseded by v3 before its rollout"]
    assert fake.calls == [] and routes == []
    assert status(shop.releases.get(version=3)) == ReleaseStatus.LIVE


def test_a_release_no_longer_pending_is_not_rolled_out_again_when_its_job_was_queued_twice(shop, fake, routes, serving):
    v2 = new_release(shop)
    assert release_roll_out(v2, lambda line: None) is True
    calls, routed = list(fake.calls), list(routes)

    assert release_roll_out(Release.objects.get(pk=v2.pk), lambda line: None) is False

    assert fake.calls == calls and routes == routed
    assert status(v2) == ReleaseStatus.LIVE


def test_the_release_phase_runs_before_any_process_starts(shop, fake, routes, serving):
    v2 = new_release(shop, {**PROCESS_TYPES, "release": "python manage.py migrate"})
    told = []

    release_roll_out(v2, told.append)

    assert [call[0] for call in fake.calls] == ["release_phase", "start"]
    assert "Running release command: python manage.py migrate" in told
    assert status(v2) == ReleaseStatus.LIVE


def test_a_failing_release_phase_starts_nothing_and_fails_the_release(shop, fake, routes, serving):
    v2 = new_release(shop, {**PROCESS_TYPES, "release": "python manage.py migrate"})
    fake.release_phase_fails = True

    with pytest.raises(RolloutFailed, match="release command exited with code 1"):
        release_roll_out(v2, lambda line: None)

    assert fake.calls == [("release_phase", 2)]
    assert status(v2) == ReleaseStatus.FAILED and routes == []
    assert fake.processes("shop") == serving


def test_before_switch_refusing_removes_the_started_processes_and_routes_nothing(shop, fake, routes, serving):
    v2 = new_release(shop)

    def refuse() -> None:
        raise RolloutFailed("the branch moved on")

    with pytest.raises(RolloutFailed, match="the branch moved on"):
        release_roll_out(v2, lambda line: None, before_switch=refuse)

    assert len(fake.removed) == 3 and all(".v2." in process_id for process_id in fake.removed)
    assert fake.processes("shop") == serving and routes == []
    v2.refresh_from_db()
    assert v2.status == ReleaseStatus.FAILED and v2.failure_reason == "the branch moved on"


def test_an_unexpected_error_after_the_start_removes_the_new_processes_and_is_raised_as_it_is(shop, fake, routes, serving):
    v2 = new_release(shop)

    def break_down() -> None:
        raise KeyError("surprise")

    with pytest.raises(KeyError):
        release_roll_out(v2, lambda line: None, before_switch=break_down)

    assert fake.processes("shop") == serving and routes == []
    v2.refresh_from_db()
    assert v2.status == ReleaseStatus.FAILED and v2.failure_reason.startswith("internal error: KeyError")
