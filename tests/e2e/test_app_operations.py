"""Operating a deployed app on the real engine and router: maintenance mode, a restart under
load that drops nothing, and deleting an app (after which its name can be used again)."""
import time
from pathlib import Path

import pytest

from tests.support import Load, SourceTree, deploy_site, static_site

pytestmark = pytest.mark.e2e


def deployed(platform, tmp_path, text: str, name: str | None = None) -> str:
    if name:
        status, body = platform.api("POST", "/api/apps", {"name": name, "team": "default"})
        assert status == 201, body
    return deploy_site(platform, tmp_path / f"src-{time.monotonic_ns()}", text, app=name)


def repository_of(platform, app: str) -> Path:
    """The app's bare repository: var/git/ID.git, by the app's id, which the API does not show."""
    result = platform.manage("shell", "-c", f"from applications.models import App; print(App.objects.get(name={app!r}).pk)")
    assert result.returncode == 0, result.stderr
    return platform.var_dir / "git" / f"{result.stdout.split()[-1]}.git"


def renamed(platform, old: str, new: str) -> bool:
    """The rename's job is done: the app answers to its new name and its log says so."""
    status, activity = platform.api("GET", f"/api/apps/{new}/activity")
    return status == 200 and bool(activity) and activity[0]["text"] == f"Renamed the app from {old} to {new}"


def platform_log(platform, app: str) -> str:
    """The app's recent log stream, as `heroku logs` shows it; "" while no app has that name
    (a rename in progress has taken the new one)."""
    return platform.log_text(app)


def test_maintenance_mode_answers_503_and_switching_it_off_serves_again(platform, tmp_path):
    app = deployed(platform, tmp_path, "open\n")
    assert platform.api("PATCH", f"/api/apps/{app}", {"maintenance": True})[0] == 202
    # A job switches the router (under the app's rollout lock, never in the request).
    platform.wait_for("the router to answer 503", lambda: platform.get(app)[0] == 503, timeout=10)
    assert platform.get(app) == (503, f"{app}.localhost is offline for maintenance.\n")
    time.sleep(1.5)  # reconciler passes (every 0.5 s here) re-route the app: they keep it in maintenance
    assert platform.get(app)[0] == 503
    assert len(platform.containers(app, process_type="web")) == 1  # it keeps running
    assert platform.api("PATCH", f"/api/apps/{app}", {"maintenance": False})[0] == 202
    platform.wait_for("the app to serve again", lambda: platform.get(app)[0] == 200, timeout=10)
    assert platform.get(app) == (200, "open\n")


def test_a_restart_replaces_the_web_process_and_drops_no_request(platform, tmp_path):
    app = deployed(platform, tmp_path, "steady\n")
    before = set(platform.containers(app, process_type="web"))
    load = Load(platform, app, "steady\n")
    load.start()
    time.sleep(0.5)

    status, body = platform.api("DELETE", f"/api/apps/{app}/dynos/web")
    assert status == 202 and body == {"restarting": "web"}
    now = platform.wait_for("the old web process to be replaced and stopped", lambda: (
        (current := set(platform.containers(app, process_type="web"))) and not current & before and current
    ), timeout=60)
    time.sleep(0.5)
    load.finish()

    assert len(now) == 1
    assert load.sent > 50 and load.failures == []
    assert platform.get(app) == (200, "steady\n")
    texts = [entry["text"] for entry in platform.api("GET", f"/api/apps/{app}/activity")[1]]
    assert texts[0] == "Restarted web"


def test_a_deleted_app_leaves_nothing_behind_and_its_name_can_be_used_again(platform, tmp_path):
    app = deployed(platform, tmp_path, "doomed\n")
    repository = repository_of(platform, app)
    assert repository.exists()

    status, body = platform.api("DELETE", f"/api/apps/{app}")

    assert status == 202 and body == {"deleting": app}  # a job deletes it
    platform.wait_for("the app to be deleted", lambda: platform.api("GET", f"/api/apps/{app}")[0] == 404, timeout=30)
    assert platform.containers(app) == []
    assert platform.get(app) == (404, f"No app is deployed at {app}.localhost.\n")
    assert not repository.exists()
    team_log = platform.api("GET", "/api/teams/default/activity")[1]
    assert team_log[0]["text"] == f"Deleted app {app}" and team_log[0]["app"] == app

    # A new app of the same name starts from scratch: a fresh repository, v1, its own content.
    deployed(platform, tmp_path, "reborn\n", name=app)
    assert platform.get(app) == (200, "reborn\n")
    releases = platform.api("GET", f"/api/apps/{app}/releases")[1]
    assert [release["version"] for release in releases] == [1]


def test_a_renamed_app_serves_at_its_new_name_keeps_its_history_and_takes_pushes_there(platform, tmp_path):
    old = deployed(platform, tmp_path, "same app\n")
    new = f"r{old[1:]}"[:30]

    status, body = platform.api("PATCH", f"/api/apps/{old}", {"name": new})

    # Accepted: a job starts the processes under the new name and moves the router.
    assert status == 202 and body["name"] == old and body["renaming_to"] == new and body["released_version"] == 1
    platform.wait_for("the rename to be done", lambda: renamed(platform, old, new), timeout=60)
    assert platform.api("GET", f"/api/apps/{new}")[1]["released_version"] == 1
    assert platform.get(new) == (200, "same app\n")
    assert platform.get(old) == (404, f"No app is deployed at {old}.localhost.\n")
    assert platform.api("GET", f"/api/apps/{old}")[0] == 404
    platform.wait_for("the old processes to stop", lambda: platform.containers(old) == [], timeout=30)
    assert len(platform.containers(new, process_type="web")) == 1
    activity = platform.api("GET", f"/api/apps/{new}/activity")[1]
    assert activity[0]["text"] == f"Renamed the app from {old} to {new}"
    assert [e["text"] for e in activity][-1] == f"Created app {old}"

    source = SourceTree(tmp_path / "after-rename")
    source.write(static_site("pushed after the rename\n")).commit()
    push = source.push(platform.git_url(new), "main", "--force")
    assert push.returncode == 0, push.output
    assert platform.get(new) == (200, "pushed after the rename\n")
    assert [r["version"] for r in platform.api("GET", f"/api/apps/{new}/releases")[1]] == [2, 1]


def test_renaming_to_a_taken_or_bad_name_is_refused_and_changes_nothing(platform, tmp_path):
    app = deployed(platform, tmp_path, "stays\n")
    other = platform.new_app()
    assert platform.api("PATCH", f"/api/apps/{app}", {"name": other})[0] == 409
    status, body = platform.api("PATCH", f"/api/apps/{app}", {"name": "Bad_Name"})
    assert status == 400 and "invalid app name" in body["error"]
    assert platform.get(app) == (200, "stays\n")


def test_a_rename_whose_processes_fail_under_the_new_name_says_why_in_the_log_and_changes_nothing(platform, tmp_path):
    app = deployed(platform, tmp_path, "unchanged\n")
    new = f"f{app[1:]}"[:30]
    # A health check path the static site does not have: processes started from now on fail it.
    assert platform.api("PATCH", f"/api/apps/{app}", {"checks": {"path": "/no-such-health", "attempts": 2}})[0] == 200

    status, body = platform.api("PATCH", f"/api/apps/{app}", {"name": new})

    assert status == 202 and body["renaming_to"] == new
    platform.wait_for("the rename to fail", lambda: f"Rename to {new} failed" in platform_log(platform, app), timeout=60)
    log = platform_log(platform, app)
    assert "could not start the processes under the new name" in log and f"the app is still {app}" in log
    assert platform.api("GET", f"/api/apps/{app}")[0] == 200 and platform.api("GET", f"/api/apps/{new}")[0] == 404
    assert platform.get(app) == (200, "unchanged\n")
    platform.wait_for("no process left under the new name", lambda: platform.containers(new) == [], timeout=10)
