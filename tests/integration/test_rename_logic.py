"""What a rename decides (applications/rename.py), on the fake scheduler: the live formation
started again under the new name and routed by the new host name, the old processes left to
the reconciler's sweep of names no app has, and on failure the app as it was."""
import pytest
from django.contrib.auth import get_user_model

from accounts.models import Team
from applications import reconciler
from applications.models import App, Formation
from applications.reconciler import Reconciler
from applications.rename import app_rename
from applications.services import release_create, release_go_live
from paas import logstream
from paas.errors import Conflict
from router.target import Target

DRAIN = 10.0


class Clock:
    now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def shop(db, isolated, settings, fake, routes) -> App:
    """v1 of shop is live on web.1 and worker.1 (and no test reaches the real router)."""
    settings.PAAS_DRAIN_SECONDS = DRAIN
    settings.PAAS_APPS_DOMAIN = "apps.test"
    app = App.objects.create(name="shop", team=Team.objects.create(name="acme"))
    logstream.discard(app.pk)
    Formation.objects.create(app=app, process_type="worker", quantity=1, memory_mb=512, cpus=1.0)
    release_go_live(release_create(app=app, image="shop:1", process_types={"web": "", "worker": ""}, description="Deploy"))
    fake.add("shop", 1, ("web", 1))
    fake.add("shop", 1, ("worker", 1))
    return app


@pytest.fixture
def alice(db):
    return get_user_model().objects.create(username="alice")


def test_a_rename_starts_the_formation_under_the_new_name_and_routes_the_new_host_name(shop, fake, routes, alice):
    old = fake.processes("shop")

    app_rename(app=shop, user=alice, name="store")

    assert App.objects.get(pk=shop.pk).name == "store"
    assert [sorted(slots) for slots in fake.started] == [[("web", 1), ("worker", 1)]]
    assert routes == [(shop.pk, ["store.apps.test"], Target.web(fake.web_addresses(fake.processes("store"))))]
    assert fake.processes("shop") == old and fake.removed == [] and fake.retired == []


# reconcile_all() closes the thread's old connections: on PostgreSQL, the test's transaction too.
@pytest.mark.django_db(transaction=True)
def test_the_old_names_processes_are_retired_a_drain_window_after_the_rename(shop, fake, alice, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(reconciler, "time", clock)
    old = fake.processes("shop")
    app_rename(app=shop, user=alice, name="store")
    passes = Reconciler(fake)
    passes.reconcile_all()
    assert fake.retired == []

    clock.now += DRAIN
    passes.reconcile_all()

    assert sorted(fake.retired) == sorted((p.id, 0) for p in old)


def test_a_rename_whose_processes_do_not_start_leaves_the_app_as_it_was(shop, fake, routes, alice):
    old = fake.processes("shop")
    fake.failing = {("worker", 1)}

    with pytest.raises(Conflict, match="the app is still shop"):
        app_rename(app=shop, user=alice, name="store")

    assert App.objects.get(pk=shop.pk).name == "shop" and shop.name == "shop"
    assert fake.processes("store") == [] and fake.processes("shop") == old and routes == []


def test_a_rename_of_an_app_in_maintenance_routes_the_new_host_name_to_the_maintenance_page(shop, fake, routes, alice):
    App.objects.filter(pk=shop.pk).update(maintenance=True)

    app_rename(app=shop, user=alice, name="store")

    assert routes == [(shop.pk, ["store.apps.test"], Target.maintenance())]
