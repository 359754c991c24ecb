"""Health that means healthy, and the environment Heroku's router gives, end to end: the default
HTTP check of `/` (any answer below 500 passes), a release without `web` refused with the
reason, the router's forwarding headers (and a trusted proxy's), DYNO kept for the platform, the
release phase warned when it has no database, and the push's words when a web process never
listens. Real engine, nginx, workers and git."""
import http.client
import re
import time
from pathlib import Path

import pytest

from tests.support import BASE_IMAGE, SourceTree, start_platform, stop_platform

pytestmark = pytest.mark.e2e

# busybox httpd runs /cgi-bin/index.cgi for a directory with no index.html, `/` included; a CGI
# script that starts its output with a status line sends that status as it is.
HEADERS_CGI = """#!/bin/sh
# The first request for / is the health check: its headers are kept for /first/.
if [ "$REQUEST_URI" = "/" ] && [ ! -e /tmp/first ]; then env | grep '^HTTP_' | sort > /tmp/first; fi
printf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n'
case "$REQUEST_URI" in /first/) cat /tmp/first ;; *) env | grep '^HTTP_' | sort ;; esac
"""


def cgi_app(script: str, procfile: str | None = None) -> dict[str, str]:
    files = {
        "Dockerfile": f"FROM {BASE_IMAGE}\nCOPY index.cgi /www/cgi-bin/index.cgi\nRUN chmod +x /www/cgi-bin/index.cgi\n"
                      "CMD exec httpd -f -p $PORT -h /www\n",
        "index.cgi": script,
    }
    if procfile is not None:
        files["Procfile"] = procfile
    return files


def answering(status: str, body: str = "", extra: str = "") -> dict[str, str]:
    """An app whose every page answers `status` ("500 Internal Server Error")."""
    return cgi_app(f"#!/bin/sh\nprintf 'HTTP/1.0 {status}\\r\\n{extra}Content-Type: text/plain\\r\\n\\r\\n{body}'\n")


def site(text: str) -> dict[str, str]:
    return {"Dockerfile": f"FROM {BASE_IMAGE}\nRUN mkdir -p /www && echo {text} > /www/index.html\n"
                          "CMD exec httpd -f -p $PORT -h /www\n"}


WEB = "web: exec httpd -f -p $PORT -h /www\n"


def raw_get(platform, app: str, path: str = "/", headers: dict[str, str] | None = None) -> tuple[int, dict, str]:
    """Through the router, following no redirect: (status, response headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", platform.router_port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": f"{app}.localhost", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def seen_headers(body: str) -> dict[str, str]:
    """HTTP_X_FORWARDED_PROTO=https lines as {"X-Forwarded-Proto": "https"}."""
    pairs = (line.split("=", 1) for line in body.splitlines() if line.startswith("HTTP_"))
    return {name.removeprefix("HTTP_").replace("_", "-").title(): value for name, value in pairs}


@pytest.fixture
def source(tmp_path) -> SourceTree:
    return SourceTree(tmp_path / "src")


def push(platform, source, app, files, message="change"):
    source.write(files).commit(message)
    return source.push(platform.git_url(app))


def pushed(platform, source, app, files, message="change"):
    result = push(platform, source, app, files, message)
    assert result.returncode == 0, result.output
    return result


def test_a_release_whose_root_answers_500_is_refused_and_the_old_one_keeps_serving(platform, source):
    app = platform.new_app()
    pushed(platform, source, app, site("v1"))

    result = push(platform, source, app, answering("500 Internal Server Error", "broken"), "answers 500")

    assert result.returncode != 0
    assert result.output.count("web.1 failed its health check: GET / answered 500") == 1, result.output
    assert "Release v2 failed; the previous release (v1) keeps serving." in result.output
    assert "[remote rejected]" in result.output
    assert platform.get(app) == (200, "v1\n")
    assert platform.release(app, 2)["status"] == "failed"


def test_a_release_whose_root_redirects_goes_live(platform, source):
    app = platform.new_app()

    pushed(platform, source, app, answering("302 Found", extra="Location: https://example.test/login\\r\\n"))

    status, headers, _ = raw_get(platform, app)
    assert (status, headers["Location"]) == (302, "https://example.test/login")
    assert platform.release(app, 1)["status"] == "live"


def test_a_login_page_answering_401_passes_the_check_but_a_path_the_app_sets_must_answer_2xx(platform, source):
    app = platform.new_app()
    pushed(platform, source, app, answering("401 Unauthorized", "log in"))
    assert raw_get(platform, app)[0] == 401

    # A path the app names is its health endpoint: only 2xx and 3xx pass it, even `/`.
    status, _ = platform.api("PATCH", f"/api/apps/{app}", {"checks": {"path": "/", "attempts": 4}})
    assert status == 200
    result = push(platform, source, app, answering("401 Unauthorized", "log in again"), "v2")
    assert result.returncode != 0
    assert "web.1 failed its health check: GET / answered 401" in result.output


def test_a_procfile_typo_for_web_is_refused_with_the_reason_and_changes_nothing(platform, source):
    app = platform.new_app()
    pushed(platform, source, app, {**site("v1"), "Procfile": WEB})

    result = push(platform, source, app, {**site("v2"), "Procfile": WEB.replace("web:", "wbe:")}, "typo")

    assert result.returncode != 0
    assert "Release refused: the release has no web process: the Procfile declares wbe; did you mean web?" in result.output
    assert "No release was made; the previous release (v1) keeps serving." in result.output
    assert platform.get(app) == (200, "v1\n")
    _, releases = platform.api("GET", f"/api/apps/{app}/releases")
    assert [r["version"] for r in releases] == [1]  # no release was made


def test_dropping_web_from_an_app_that_serves_traffic_is_refused_until_web_is_scaled_to_0(platform, source):
    app = platform.new_app()
    pushed(platform, source, app, {**site("v1"), "Procfile": WEB + "worker: exec sleep 3600\n"})
    worker_only = {**site("v2"), "Procfile": "worker: exec sleep 3600\n"}

    result = push(platform, source, app, worker_only, "no web")
    assert result.returncode != 0
    assert "the release has no web process: the Procfile declares worker (v1 serves the app's traffic" in result.output
    assert "scale web to 0 first" in result.output

    assert platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "web", "quantity": 0}])[0] == 200
    assert source.push(platform.git_url(app)).returncode == 0  # the same commit, now that web takes no traffic


def test_a_worker_only_app_from_the_start_deploys_and_its_overview_shows_no_web(platform, source):
    app = platform.new_app()
    pushed(platform, source, app, {**site("x"), "Procfile": "worker: exec sleep 3600\n"})
    assert platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "worker", "quantity": 1}])[0] == 200

    platform.wait_for("worker.1 to run", lambda: platform.containers(app, process_type="worker"))
    _, formation = platform.api("GET", f"/api/apps/{app}/formation")
    assert [(row["type"], row["quantity"]) for row in formation] == [("worker", 1)]
    dynos = platform.wait_for("the dyno list to show worker.1 up", lambda: (
        d := platform.api("GET", f"/api/apps/{app}/dynos")[1]) and all(x["state"] == "up" for x in d) and d)
    assert [(d["name"], d["type"], d["state"], d["release"]["version"]) for d in dynos] == [("worker.1", "worker", "up", 1)]


def test_the_dyno_list_shows_the_containers_that_run_in_the_states_the_engine_says(platform, source):
    app = platform.new_app()
    pushed(platform, source, app, site("v1"))

    status, dynos = platform.api("GET", f"/api/apps/{app}/dynos")
    assert status == 200
    assert [(d["name"], d["state"], d["release"]["version"]) for d in dynos] == [("web.1", "up", 1)]
    assert platform.api("GET", f"/api/apps/{app}/dynos/web.1")[1] == dynos
    assert platform.api("GET", f"/api/apps/{app}/dynos/worker")[1] == []


def test_the_app_gets_herokus_router_headers_and_its_health_check_gets_them_too(platform, source):
    app = platform.new_app()
    pushed(platform, source, app, cgi_app(HEADERS_CGI))
    port = str(platform.router_port)

    client_id = "client-chosen-id-0123456789+/="
    before = time.time() * 1000
    status, _, body = raw_get(platform, app, "/page/", {
        "X-Request-Id": client_id, "X-Forwarded-For": "203.0.113.9",
        # Not from a trusted proxy: the router's own scheme and port replace these.
        "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443",
    })
    after = time.time() * 1000

    assert status == 200, body
    seen = seen_headers(body)
    assert seen["Host"] == f"{app}.localhost"
    assert (seen["X-Forwarded-Proto"], seen["X-Forwarded-Port"]) == ("http", port)
    assert seen["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"
    assert seen["X-Request-Id"] == client_id
    assert before - 1000 <= int(seen["X-Request-Start"]) <= after + 1000  # milliseconds since the epoch
    # The router's access log names the same id (observability reads it there).
    log = Path(platform.var_dir, "log", "router-access.log")
    platform.wait_for("the access log line", lambda: f"request_id={client_id}" in log.read_text())

    _, _, body = raw_get(platform, app, "/page/", {"X-Request-Id": "too-short"})
    assert re.fullmatch(r"[0-9a-f]{32}", seen_headers(body)["X-Request-Id"])  # the router's own

    # The health check asked as the router would.
    check = seen_headers(raw_get(platform, app, "/first/")[2])
    assert check["Host"] == f"{app}.localhost"
    assert (check["X-Forwarded-Proto"], check["X-Forwarded-Port"]) == ("http", port)
    assert check["User-Agent"] == "paas-healthcheck" and check["X-Request-Id"]


def test_dyno_is_the_platforms_config_var_as_port_is(platform):
    app = platform.new_app()
    for name in ("DYNO", "PORT"):
        status, body = platform.api("PATCH", f"/api/apps/{app}/config-vars", {name: "web.9"})
        assert (status, body["error"]) == (400, f"{name} is set by the platform and cannot be changed")
    assert platform.api("GET", f"/api/apps/{app}/config-vars")[1] == {}


def test_a_release_phase_without_database_url_is_warned_before_it_runs(platform, source):
    app = platform.new_app()
    procfile = "release: echo migrating now\n" + WEB

    result = pushed(platform, source, app, {**site("v1"), "Procfile": procfile})
    warning = "       warning: DATABASE_URL is not set: the release phase runs in a one-off container"
    assert warning in result.output
    assert result.output.index(warning) < result.output.index("migrating now")

    assert platform.api("PATCH", f"/api/apps/{app}/config-vars", {"DATABASE_URL": "postgres://db.test/app"})[0] == 200
    platform.wait_release(app, 2)
    result = pushed(platform, source, app, {**site("v3"), "Procfile": procfile}, "v3")
    assert "migrating now" in result.output and "DATABASE_URL is not set" not in result.output


def test_a_web_process_that_never_listens_is_told_with_its_port_once(platform, source):
    app = platform.new_app()
    deaf = {"Dockerfile": f"FROM {BASE_IMAGE}\nCMD exec sleep 3600\n"}

    result = push(platform, source, app, deaf, "deaf")

    assert result.returncode != 0
    port = platform.env.get("PAAS_CONTAINER_PORT", "5000")
    assert len(re.findall(rf"web\.1 did not answer on \$PORT={port} within \d+(\.\d)? s ", result.output)) == 1, result.output
    assert "Release v1 failed; no release was serving before; nothing is live." in result.output
    assert "keeps serving" not in result.output


@pytest.fixture(scope="module")
def behind_a_proxy(tmp_path_factory, redis_server, docker_engine, base_image):
    """An instance whose router believes 127.0.0.1, as it would a TLS-terminating proxy there."""
    instance = start_platform(Path(tmp_path_factory.mktemp("proxied")), PAAS_ROUTER_TRUSTED_PROXIES="127.0.0.1")
    yield instance
    stop_platform(instance)


def test_a_trusted_proxy_says_the_scheme_and_port_the_client_used(behind_a_proxy, source):
    platform = behind_a_proxy
    app = platform.new_app()
    pushed(platform, source, app, cgi_app(HEADERS_CGI))

    seen = seen_headers(raw_get(platform, app, "/page/", {"X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"})[2])
    assert (seen["X-Forwarded-Proto"], seen["X-Forwarded-Port"]) == ("https", "443")
    # Without them, or with a scheme that is none, the router's own.
    seen = seen_headers(raw_get(platform, app, "/page/", {"X-Forwarded-Proto": "gopher"})[2])
    assert (seen["X-Forwarded-Proto"], seen["X-Forwarded-Port"]) == ("http", str(platform.router_port))
