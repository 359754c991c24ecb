"""Releases end to end: config vars, rollback, release phase, health checks and formation, on the
real engine, nginx, workers and reconciler."""
import subprocess

import pytest

from tests.support import BASE_IMAGE, SourceTree

pytestmark = pytest.mark.e2e


def env_site(content: str, procfile: str | None = None) -> dict[str, str]:
    """An app whose page shows its baked-in content and the GREETING config var it started with."""
    files = {
        "Dockerfile": (
            f"FROM {BASE_IMAGE}\nCOPY content.txt /content.txt\n"
            "CMD mkdir -p /www && echo \"$(cat /content.txt) greeting=$GREETING\" > /www/index.html"
            " && exec httpd -f -p $PORT -h /www\n"
        ),
        "content.txt": content,
    }
    if procfile is not None:
        files["Procfile"] = procfile
    return files


@pytest.fixture
def source(tmp_path) -> SourceTree:
    return SourceTree(tmp_path / "src")


def push_ok(platform, source, app, files, message="change"):
    source.write(files).commit(message)
    push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output
    return push


def set_config(platform, app, changes) -> dict:
    status, body = platform.api("PATCH", f"/api/apps/{app}/config-vars", changes)
    assert status == 200, body
    return body


def latest_version(platform, app) -> int:
    _, releases = platform.api("GET", f"/api/apps/{app}/releases")
    return releases[0]["version"]


def test_config_change_makes_a_release_and_reaches_the_app(platform, source):
    app = platform.new_app()
    push_ok(platform, source, app, env_site("v1"))
    assert platform.get(app) == (200, "v1 greeting=\n")

    assert set_config(platform, app, {"GREETING": "hello"}) == {"GREETING": "hello"}

    release = platform.wait_release(app, 2)
    assert (release["status"], release["description"]) == ("live", "Set GREETING config vars")
    assert platform.get(app) == (200, "v1 greeting=hello\n")
    assert "hello" not in release["output"]  # values never printed
    status, config = platform.api("GET", f"/api/apps/{app}/config-vars")
    assert (status, config) == (200, {"GREETING": "hello"})

    assert set_config(platform, app, {"GREETING": None}) == {}
    assert platform.wait_release(app, 3)["description"] == "Remove GREETING config vars"
    assert platform.get(app) == (200, "v1 greeting=\n")


def test_rollback_to_v1_serves_v1_content_and_v1_config(platform, source):
    app = platform.new_app()
    set_config(platform, app, {"GREETING": "one"})  # before any deploy: no release, kept for v1
    push_ok(platform, source, app, env_site("v1"))
    assert platform.get(app) == (200, "v1 greeting=one\n")
    push_ok(platform, source, app, env_site("v2"))
    set_config(platform, app, {"GREETING": "two"})
    platform.wait_release(app, 3)
    assert platform.get(app) == (200, "v2 greeting=two\n")

    status, body = platform.api("POST", f"/api/apps/{app}/releases", {"release": 1})

    assert status == 201, body
    assert (body["version"], body["description"]) == (4, "Rollback to v1")
    assert body["build"] is None  # no build: the image of v1 is reused
    assert platform.wait_release(app, 4)["status"] == "live"
    assert platform.get(app) == (200, "v1 greeting=one\n")
    assert platform.api("GET", f"/api/apps/{app}/config-vars")[1] == {"GREETING": "one"}


def test_rollback_to_an_unknown_release_is_a_clear_400(platform, source):
    app = platform.new_app()
    push_ok(platform, source, app, env_site("v1"))
    status, body = platform.api("POST", f"/api/apps/{app}/releases", {"release": 9})
    assert status == 400 and "no release v9" in body["error"]
    status, body = platform.api("POST", f"/api/apps/{app}/releases", {"release": "one"})
    assert status == 400 and "release number" in body["error"]


def test_failing_release_phase_fails_the_release_and_changes_nothing(platform, source):
    app = platform.new_app()
    push_ok(platform, source, app, env_site("v1"))

    source.write(env_site("v2", "release: echo migrating the database && exit 3\n"
                                "web: mkdir -p /www && echo v2 > /www/index.html && exec httpd -f -p $PORT -h /www\n"))
    source.commit("v2 with a failing release phase")
    push = source.push(platform.git_url(app))

    assert push.returncode != 0
    assert "migrating the database" in push.output
    assert "the release command exited with code 3" in push.output
    assert platform.get(app) == (200, "v1 greeting=\n")
    assert platform.release(app, 2)["status"] == "failed"
    assert platform.release(app, 1)["status"] == "live"
    assert len(platform.containers(app)) == 1  # no container of v2 left behind


def test_release_phase_runs_before_the_new_release_serves(platform, source):
    app = platform.new_app()
    push = push_ok(platform, source, app, env_site("v1", "release: echo release phase ran for $DYNO\n"
                                                         "web: mkdir -p /www && echo procfile > /www/index.html && exec httpd -f -p $PORT -h /www\n"))
    assert "release phase ran for release.1" in push.output
    assert platform.get(app) == (200, "procfile\n")


def test_unhealthy_release_is_aborted_and_the_old_one_keeps_serving(platform, source):
    app = platform.new_app()
    push_ok(platform, source, app, env_site("v1"))
    status, body = platform.api("PATCH", f"/api/apps/{app}", {"checks": {"path": "/index.html", "attempts": 8}})
    assert status == 200 and body["checks"] == {"path": "/index.html", "attempts": 8}

    # v2 serves /www without an index.html: GET /index.html answers 404 and fails the check.
    source.write(env_site("v2", "web: mkdir -p /www && exec httpd -f -p $PORT -h /www\n")).commit("no index")
    push = source.push(platform.git_url(app))

    assert push.returncode != 0
    assert "web.1 failed its health check: GET /index.html answered 404" in push.output
    assert platform.get(app) == (200, "v1 greeting=\n")
    assert platform.release(app, 2)["status"] == "failed"
    assert "answered 404" in platform.release(app, 2)["failure_reason"]


def test_bad_health_check_settings_are_refused(platform):
    app = platform.new_app()
    for checks, message in [({"path": "health"}, "URL path"), ({"attempts": 0}, "from 1"), ({"nope": 1}, "unknown")]:
        status, body = platform.api("PATCH", f"/api/apps/{app}", {"checks": checks})
        assert status == 400 and message in body["error"], body


def test_formation_scales_web_and_workers_without_a_release(platform, source):
    app = platform.new_app()
    push_ok(platform, source, app, env_site("v1", "web: mkdir -p /www && echo $DYNO > /www/index.html && exec httpd -f -p $PORT -h /www\n"
                                                  "worker: exec sleep 3600\n"))
    status, formation = platform.api("GET", f"/api/apps/{app}/formation")
    assert status == 200
    assert [(f["type"], f["quantity"]) for f in formation] == [("web", 1), ("worker", 0)]

    status, formation = platform.api(
        "PATCH", f"/api/apps/{app}/formation", [{"type": "web", "quantity": 2}, {"type": "worker", "quantity": 1, "memory_mb": 64}]
    )
    assert status == 200, formation

    platform.wait_for("2 web and 1 worker containers", lambda: len(platform.containers(app, process_type="web")) == 2
                      and len(platform.containers(app, process_type="worker")) == 1)
    served = platform.wait_for("both web containers to be routed",
                               lambda: {platform.get(app)[1] for _ in range(8)} == {"web.1\n", "web.2\n"} or None)
    assert served
    assert latest_version(platform, app) == 1  # scaling made no release

    status, body = platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "nope", "quantity": 1}])
    assert status == 400 and "no process type 'nope'" in body["error"]
    status, body = platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "web", "quantity": -1}])
    assert status == 400


def test_killed_container_is_replaced_and_routed_again(platform, source):
    app = platform.new_app()
    push_ok(platform, source, app, env_site("v1"))
    [container] = platform.containers(app)

    subprocess.run(["docker", "rm", "-f", container], check=True, capture_output=True)

    replacement = platform.wait_for("a replacement container", lambda: platform.containers(app), timeout=30)
    assert replacement != [container]
    platform.wait_for("the app to serve again", lambda: platform.get(app) == (200, "v1 greeting=\n"), timeout=30)
