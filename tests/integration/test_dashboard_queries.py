"""The dashboard's pages run a fixed number of queries however much data there is: with 100
apps of 100 releases each, the apps list and the releases page stay within a small bound.
(bench/dashboard_pages.py measures how long they take.)"""
import pytest
from django.contrib.auth import get_user_model

from activity.models import Activity
from applications.models import App, Formation, Release, ReleaseStatus

APPS, RELEASES = 100, 100


@pytest.fixture
def crowded(members):
    """100 apps of the acme team, each with 100 releases (the newest live), a formation and activity."""
    apps = App.objects.bulk_create(App(name=f"app-{i:03d}", team=members.team) for i in range(APPS))
    admin = get_user_model().objects.get(username="admin")
    Release.objects.bulk_create(
        Release(app=app, version=v, image=f"img:{v}", description=f"Deploy {v:07x}", created_by=admin,
                status=ReleaseStatus.LIVE if v == RELEASES else ReleaseStatus.RETIRED)
        for app in apps for v in range(1, RELEASES + 1)
    )
    Formation.objects.bulk_create(Formation(app=app, process_type=t, quantity=1, memory_mb=256, cpus=1.0)
                                  for app in apps for t in ("web", "worker"))
    Activity.objects.bulk_create(Activity(team=members.team, app=app, app_name=app.name, actor=admin, actor_name="admin",
                                          verb="deploy", text=f"Deploy (v{v})") for app in apps for v in range(20))
    return apps


def _get(client, path: str, user: str = "viewer"):
    client.force_login(get_user_model().objects.get(username=user))
    response = client.get(path)
    assert response.status_code == 200
    return response


# Each page's most queries: session and user, the policy's membership, then the page's own.
BOUNDS = {
    "/": 8,
    "/apps/app-042/releases/": 8,
    "/apps/app-042/releases/table": 8,
    "/apps/app-042/": 10,
    "/apps/app-042/scale/": 10,
    "/apps/app-042/activity/": 8,
    "/apps/app-042/builds/": 8,
    "/teams/acme/": 10,
    "/teams/": 6,
    "/tokens/": 6,
}


def test_pages_run_a_bounded_number_of_queries_with_100_apps_of_100_releases(
    client, members, crowded, django_assert_max_num_queries
):
    client.force_login(get_user_model().objects.get(username="admin"))
    for path, most in BOUNDS.items():
        with django_assert_max_num_queries(most, info=path):
            assert client.get(path).status_code == 200, path


def test_the_apps_list_shows_every_app_with_its_live_release(client, members, crowded):
    page = _get(client, "/").content.decode()
    assert page.count("<tr>") == APPS + 1  # and the header
    assert page.count(f"v{RELEASES}</td>") == APPS


def test_the_releases_page_shows_the_newest_100_and_rollback_only_for_kept_images(client, members, crowded, settings):
    settings.PAAS_KEEP_RELEASES = 10
    page = _get(client, "/apps/app-042/releases/", user="developer").content.decode()
    assert page.count("data-version=") == 100
    assert page.count('class="rollback"') == 9  # the 10 newest but the live one
    assert 'class="rollback"' not in _get(client, "/apps/app-042/releases/", user="viewer").content.decode()
