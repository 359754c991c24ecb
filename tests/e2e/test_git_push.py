"""git push to a live app, end to end: real git, Docker engine, rq workers, Redis and nginx."""
import pytest

from tests.support import SourceTree, git, static_site

pytestmark = pytest.mark.e2e


@pytest.fixture
def source(tmp_path) -> SourceTree:
    return SourceTree(tmp_path / "src")


def test_push_builds_releases_and_serves_through_the_router(platform, source):
    app = platform.new_app()
    source.write(static_site("hello v1\n")).commit("v1")

    push = source.push(platform.git_url(app))

    assert push.returncode == 0, push.output
    assert "remote: Step 1/" in push.output  # the build streamed back as remote: lines
    assert "Released v1" in push.output
    assert platform.get(app) == (200, "hello v1\n")

    commit = source.write({"index.html": "hello v2\n"}).commit("v2")
    push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output
    assert platform.get(app) == (200, "hello v2\n")  # served as soon as the push returns

    status, releases = platform.api("GET", f"/api/apps/{app}/releases")
    assert status == 200
    assert [(r["version"], r["status"], r["description"]) for r in releases] == [
        (2, "live", f"Deploy {commit[:7]}"),
        (1, "retired", releases[1]["description"]),
    ]
    status, builds = platform.api("GET", f"/api/apps/{app}/builds")
    assert [b["status"] for b in builds] == ["succeeded", "succeeded"]
    assert builds[0]["commit"] == commit
    status, detail = platform.api("GET", f"/api/apps/{app}")
    assert detail["team"] == "default" and detail["released_version"] == 2


def _deployed(platform, source, text="serving\n") -> str:
    app = platform.new_app()
    source.write(static_site(text)).commit("good")
    push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output
    return app


def _release_statuses(platform, app) -> list[tuple[int, str]]:
    _, releases = platform.api("GET", f"/api/apps/{app}/releases")
    return [(r["version"], r["status"]) for r in releases]


def test_failing_dockerfile_rejects_push_and_keeps_serving(platform, source):
    app = _deployed(platform, source)
    source.write({"Dockerfile": f"FROM {'paas-test/busybox:1'}\nRUN echo about to fail && false\n"}).commit("bad")

    push = source.push(platform.git_url(app))

    assert push.returncode != 0
    assert "about to fail" in push.output
    assert "Build failed" in push.output and "returned a non-zero code" in push.output
    assert "[remote rejected] main -> main" in push.output
    assert platform.get(app) == (200, "serving\n")
    assert _release_statuses(platform, app) == [(1, "live")]
    remote_head = git(source.path, "ls-remote", platform.git_url(app), "refs/heads/main").stdout.split()[0]
    assert remote_head != git(source.path, "rev-parse", "HEAD").stdout.strip()  # the branch did not move


def test_missing_base_image_fails_with_a_message_that_says_so(platform, source):
    app = platform.new_app()
    source.write(static_site("x", base="paas-test/not-on-this-host:404")).commit()

    push = source.push(platform.git_url(app))

    assert push.returncode != 0
    assert "base image 'paas-test/not-on-this-host:404' is not on this host and could not be pulled" in push.output


def test_app_that_exits_at_once_fails_the_deploy_and_old_release_keeps_serving(platform, source):
    app = _deployed(platform, source)
    dockerfile = "FROM paas-test/busybox:1\nCMD echo cannot start: no database; exit 3\n"
    source.write({"Dockerfile": dockerfile}).commit("crash")

    push = source.push(platform.git_url(app))

    assert push.returncode != 0
    assert "Deploy failed: web.1 exited before answering on $PORT" in push.output
    assert "cannot start: no database" in push.output
    assert "Release v2 failed; the previous release (v1) keeps serving." in push.output
    assert platform.get(app) == (200, "serving\n")
    assert _release_statuses(platform, app) == [(2, "failed"), (1, "live")]


def test_app_that_never_listens_fails_the_health_check(platform, source):
    app = _deployed(platform, source)
    source.write({"Dockerfile": "FROM paas-test/busybox:1\nCMD exec sleep 3600\n"}).commit("deaf")
    attempts = platform.env["PAAS_CHECK_ATTEMPTS"]

    push = source.push(platform.git_url(app))

    assert push.returncode != 0
    assert "web.1 did not answer on $PORT=5000 within " in push.output
    assert "(GET /: " in push.output and f"; {attempts} attempts)" in push.output
    assert platform.get(app) == (200, "serving\n")


def test_push_without_dockerfile_is_refused_with_a_reason(platform, source):
    app = platform.new_app()
    source.write({"README": "no Dockerfile here\n"}).commit()

    push = source.push(platform.git_url(app))

    assert push.returncode != 0
    assert "no Dockerfile at the root" in push.output


def test_push_to_another_branch_is_refused(platform, source):
    app = _deployed(platform, source)

    push = source.push(platform.git_url(app), "main:feature")

    assert push.returncode != 0
    assert "only the main (or master) branch deploys, not feature" in push.output
    refs = git(source.path, "ls-remote", platform.git_url(app)).stdout
    assert "refs/heads/feature" not in refs


def test_master_branch_deploys_too(platform, source):
    app = platform.new_app()
    source.write(static_site("from master\n")).commit()

    push = source.push(platform.git_url(app), "main:master")

    assert push.returncode == 0, push.output
    assert platform.get(app) == (200, "from master\n")


def test_deleting_the_deployed_branch_is_refused(platform, source):
    app = _deployed(platform, source)

    push = source.push(platform.git_url(app), ":main")

    assert push.returncode != 0
    assert "cannot be deleted" in push.output
    assert platform.get(app) == (200, "serving\n")


def test_wrong_or_revoked_token_is_refused_saying_the_token_was_refused(platform, source):
    app = platform.new_app()
    source.write(static_site("x")).commit()
    status, issued = platform.api("POST", "/api/tokens", {"description": "to revoke"})
    assert status == 201, issued
    assert platform.api("DELETE", f"/api/tokens/{issued['id']}")[0] == 204

    for token in ("paas_not-a-real-token", issued["token"]):
        push = source.push(platform.git_url(app, token=token))

        assert push.returncode != 0
        assert "Authentication failed" in push.output
        assert "remote: The token was refused: it is not valid or was revoked" in push.output, push.output
        assert "make admin-token" in push.output


def test_unknown_app_and_outsiders_get_not_found(platform, source):
    app = platform.new_app()
    source.write(static_site("x")).commit()
    outsider = platform.create_token("outsider")  # a user in no team

    for url in (platform.git_url("no-such-app"), platform.git_url(app, token=outsider)):
        push = source.push(url)
        assert push.returncode != 0
        assert "not found" in push.output

    assert platform.api("GET", f"/api/apps/{app}", token=outsider)[0] == 404


def test_non_fast_forward_push_is_rejected_and_force_push_deploys(platform, source, tmp_path):
    app = _deployed(platform, source, "first\n")
    other = SourceTree(tmp_path / "other")
    other.write(static_site("diverged\n")).commit("unrelated history")

    push = other.push(platform.git_url(app))
    assert push.returncode != 0
    assert "non-fast-forward" in push.output or "fetch first" in push.output
    assert platform.get(app) == (200, "first\n")

    # As on Heroku, a force push is how a user deploys another history on purpose.
    push = other.push(platform.git_url(app), "--force", "main")
    assert push.returncode == 0, push.output
    assert platform.get(app) == (200, "diverged\n")


def test_empty_push_says_everything_is_up_to_date(platform, source):
    app = _deployed(platform, source)

    push = source.push(platform.git_url(app))

    assert push.returncode == 0
    assert "Everything up-to-date" in push.output
    assert _release_statuses(platform, app) == [(1, "live")]


def test_clone_returns_the_deployed_source(platform, source, tmp_path):
    app = _deployed(platform, source, "cloned\n")

    git(tmp_path, "clone", "-q", platform.git_url(app), "clone")

    assert (tmp_path / "clone" / "index.html").read_text() == "cloned\n"


def test_unknown_host_gets_a_clear_404_from_the_router(platform):
    assert platform.get("nothing-deployed-here") == (404, "No app is deployed at nothing-deployed-here.localhost.\n")
