"""The release plan a scheduler runs is built from the database in one place, and where an
app's traffic goes is decided in one place (applications/traffic.py), on the real database."""
import pytest

from applications import config_crypto, traffic
from applications.models import App, Formation, Release, ReleaseStatus
from applications.release_plan import release_plan
from router.site import Site
from router.target import Target, TargetKind


@pytest.fixture
def shop(members, settings):
    settings.PAAS_APPS_DOMAIN = "apps.test"
    app = App.objects.create(name="shop", team=members.team, checks={"path": "/health", "attempts": 3})
    release = Release.objects.create(
        app=app, version=4, image="i:4", status=ReleaseStatus.LIVE,
        process_types={"web": "gunicorn app", "worker": "", "release": "python manage.py migrate"},
        config_ciphertext=config_crypto.encrypt({"GREETING": "hi"}),
    )
    Formation.objects.create(app=app, process_type="web", quantity=2, memory_mb=256, cpus=0.5)
    Formation.objects.create(app=app, process_type="worker", quantity=1, memory_mb=128, cpus=1.0)
    return app, release


def test_the_plan_carries_the_release_the_formation_the_checks_and_the_host_names(shop):
    app, release = shop
    plan = release_plan(release)

    assert (plan.app_id, plan.app, plan.version, plan.image) == (app.pk, "shop", 4, "i:4")
    assert plan.slots() == [("web", 1), ("web", 2), ("worker", 1)]
    assert plan.host_names == ("shop.apps.test",)
    assert plan.checks.path == "/health" and plan.checks.attempts == 3 and plan.checks.passing_below == 400
    assert plan.release_command == "python manage.py migrate"
    assert plan.release_argv == ("/bin/sh", "-c", "python manage.py migrate")
    web2 = plan.spec(("web", 2))
    assert web2.command == ["/bin/sh", "-c", "gunicorn app"] and (web2.memory_mb, web2.cpus) == (256, 0.5)
    assert web2.env == {"GREETING": "hi", "DYNO": "web.2"} and web2.app_id == app.pk
    assert plan.spec(("worker", 1)).command is None  # an empty Procfile command: the image's own
    assert plan.release_spec().env["DYNO"] == "release.1"


def test_the_target_is_the_web_processes_unless_the_database_says_maintenance(shop):
    app, _ = shop
    assert traffic.app_target(app, [("127.0.0.1", 5001)]) == Target.web([("127.0.0.1", 5001)])
    assert traffic.app_target(app, []).kind is TargetKind.WEB and traffic.app_target(app, []).addresses == ()
    # Switched on by someone else after this copy of the app was read: the database decides.
    App.objects.filter(pk=app.pk).update(maintenance=True)
    assert app.maintenance is False
    assert traffic.app_target(app, [("127.0.0.1", 5001)]) == Target.maintenance()


def test_every_route_goes_to_the_router_with_the_apps_host_names_and_its_target(shop, monkeypatch):
    app, _ = shop
    routed = []
    monkeypatch.setattr(traffic.routing, "route_app", lambda *args: routed.append(args))
    traffic.traffic_point(app, [("127.0.0.1", 5002)])
    assert routed == [(app.pk, "shop", Site.plain("shop.apps.test"), Target.web([("127.0.0.1", 5002)]))]
