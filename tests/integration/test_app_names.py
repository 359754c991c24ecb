"""Which app names may be taken (applications/names.py), and repositories keyed by the app's id."""
import importlib
import time

import pytest
from django.apps import apps as django_apps

from applications.models import App
from applications.locks import name_rollout_lock
from builds.repositories import repository_path


@pytest.fixture
def instance(redis_server, docker_engine, settings, tmp_path) -> str:
    """Lock keys and container labels of this test alone, and its own var/git."""
    settings.PAAS_INSTANCE = f"names{time.monotonic_ns()}"
    settings.PAAS_GIT_DIR = tmp_path / "git"
    return settings.PAAS_INSTANCE


def create(client, members, name: str):
    return client.post("/api/apps", {"name": name}, content_type="application/json", **members.auth("admin"))


def test_a_name_whose_rollout_lock_is_held_by_a_rename_cannot_be_taken_until_it_is_released(client, members, instance):
    with name_rollout_lock("shop"):  # as a rename away from "shop" holds it from start to end
        refused = create(client, members, "shop")
        assert refused.status_code == 409
        assert refused.json()["error"] == (
            "app name 'shop' is being given up by a rename or deletion in progress; try again when it is done"
        )
        assert not App.objects.filter(name="shop").exists()
    assert create(client, members, "shop").status_code == 201


def test_a_taken_name_is_still_called_taken_while_its_app_rolls_out(client, members, instance):
    assert create(client, members, "shop").status_code == 201
    with name_rollout_lock("shop"):
        response = create(client, members, "shop")
    assert response.status_code == 409 and response.json()["error"] == "app name 'shop' is already taken"


def test_renaming_to_a_name_being_given_up_is_refused_and_changes_nothing(client, members, instance):
    assert create(client, members, "shop").status_code == 201
    with name_rollout_lock("store"):
        response = client.patch("/api/apps/shop", {"name": "store"}, content_type="application/json",
                                **members.auth("admin"))
    assert response.status_code == 409 and "being given up by a rename" in response.json()["error"]
    assert list(App.objects.values_list("name", flat=True)) == ["shop"]


def test_a_new_app_never_starts_with_a_repository_left_at_its_id(
    client, members, instance, django_capture_on_commit_callbacks
):
    assert create(client, members, "shop").status_code == 201
    shop = App.objects.get(name="shop")
    leftover = repository_path(shop.pk + 1)  # as a database started afresh beside an old var/git would give it
    leftover.mkdir(parents=True)
    (leftover / "HEAD").write_text("ref: refs/heads/main\n")
    with django_capture_on_commit_callbacks(execute=True):
        assert create(client, members, "cart").status_code == 201
    assert App.objects.get(name="cart").pk == shop.pk + 1
    assert not leftover.exists()


def test_the_migration_moves_repositories_from_the_apps_name_to_its_id(members, instance, settings):
    migration = importlib.import_module("builds.migrations.0002_repositories_by_app_id")
    shop = App.objects.create(name="shop", team=members.team)
    cart = App.objects.create(name="cart", team=members.team)
    root = settings.PAAS_GIT_DIR
    for directory in ("shop.git", "cart.git", f"{cart.pk}.git", "gone.git"):
        (root / directory).mkdir(parents=True)
        (root / directory / "HEAD").write_text(directory)

    migration.forwards(django_apps, None)
    migration.forwards(django_apps, None)  # an interrupted migration run again changes nothing more

    assert (root / f"{shop.pk}.git" / "HEAD").read_text() == "shop.git"
    assert not (root / "shop.git").exists()
    # An id's repository already there is never replaced; a name no app has is left alone.
    assert (root / f"{cart.pk}.git" / "HEAD").read_text() == f"{cart.pk}.git"
    assert (root / "cart.git").exists() and (root / "gone.git").exists()
