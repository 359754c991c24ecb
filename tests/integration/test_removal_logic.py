"""What deleting an app decides (applications/removal.py), on the fake scheduler: under the app's
rollout lock the router lets go of it, the scheduler removes all it runs, its images go, then
its records; if the engine refuses, the app is still there to delete again."""
import pytest
from django.contrib.auth import get_user_model

from accounts.models import Team
from applications import locks, removal
from applications.locks import RolloutFailed, app_rollout_lock
from applications.models import App
from applications.removal import app_delete
from applications.services import release_create, release_go_live
from paas import logstream
from runtime.processes import BackendError


@pytest.fixture
def unrouted(monkeypatch) -> list[int]:
    """The app ids the router let go of (the real router is never reached)."""
    removed = []
    monkeypatch.setattr(removal.routing, "remove_app", removed.append)
    return removed


@pytest.fixture
def shop(db, isolated, fake, unrouted) -> App:
    app = App.objects.create(name="shop", team=Team.objects.create(name="acme"))
    logstream.discard(app.pk)
    release_go_live(release_create(app=app, image="shop:1", process_types={"web": ""}, description="Deploy"))
    fake.images |= {"shop:1", "other:1"}
    fake.add("shop", 1, ("web", 1))
    fake.add("other", 4, ("web", 1))
    return app


@pytest.fixture
def alice(db):
    return get_user_model().objects.create(username="alice")


def test_deleting_an_app_unroutes_it_removes_what_it_runs_and_its_images_then_its_records(shop, fake, unrouted, alice):
    app_id = shop.pk

    app_delete(app=shop, user=alice)

    assert unrouted == [app_id] and ("remove_app", app_id, "shop") in fake.calls
    assert fake.processes("shop") == [] and len(fake.processes("other")) == 1
    assert fake.images == {"other:1"}
    assert not App.objects.filter(pk=app_id).exists()


def test_an_engine_that_refuses_leaves_the_app_to_delete_again(shop, fake, alice, monkeypatch):
    def refuse(app_id: int, app: str) -> None:
        raise BackendError("the engine did not answer")

    monkeypatch.setattr(fake, "remove_app", refuse)
    with pytest.raises(BackendError):
        app_delete(app=shop, user=alice)

    assert App.objects.filter(pk=shop.pk).exists() and fake.images == {"shop:1", "other:1"}


def test_an_app_is_not_deleted_while_its_rollout_lock_is_held(shop, fake, unrouted, alice, monkeypatch):
    monkeypatch.setattr(locks, "WAIT_SECONDS", 0.2)  # not the hour a deletion job waits

    with app_rollout_lock(shop), pytest.raises(RolloutFailed):  # a rollout of it runs
        app_delete(app=shop, user=alice)

    assert unrouted == [] and fake.calls == [] and App.objects.filter(pk=shop.pk).exists()
