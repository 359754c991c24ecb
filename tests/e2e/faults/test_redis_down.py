"""Redis down for 20 s under load, on a platform instance with a redis-server of the test's own
(never the install's, which every test run shares): apps keep serving, changes and pushes are
refused naming Redis with nothing written, /healthz and the dashboard say what is down, and
once Redis is back (empty, as after a restart) changes work again and a change that was saved
while it was away is carried out by the reconciler."""
import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import redis

from tests.faults import RedisServer, RouterTraffic, process_status, seconds_until
from tests.support import SourceTree, git, start_platform, static_site, stop_platform

pytestmark = pytest.mark.e2e

OUTAGE_SECONDS = 20
BANNER = "Redis is unreachable: changes are refused until it is back; apps keep serving."


@pytest.fixture
def redis_server_of_our_own(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def own_platform(tmp_path, redis_server_of_our_own, docker_engine, base_image):
    platform = start_platform(tmp_path / "platform", REDIS_URL=redis_server_of_our_own.url)
    yield platform
    stop_platform(platform)


def _healthz(platform) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(platform.web_url + "/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _dashboard(platform) -> urllib.request.OpenerDirector:
    """A browser's session, logged in as the admin (logging in needs Redis: its failure counters)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(platform.web_url + "/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    form = {"username": "admin", "password": (platform.var_dir / "admin.password").read_text().strip(),
            "csrfmiddlewaretoken": token}
    opener.open(platform.web_url + "/login/", urllib.parse.urlencode(form).encode(), timeout=10)
    return opener


def _branch_head(platform, app: str) -> str:
    return git(Path("."), "ls-remote", platform.git_url(app), "refs/heads/main").stdout.split()[0]


def _config(platform, app: str) -> dict:
    status, config = platform.api("GET", f"/api/apps/{app}/config-vars")
    assert status == 200, config
    return config


def _newest_release(platform, app: str) -> dict:
    status, releases = platform.api("GET", f"/api/apps/{app}/releases")
    assert status == 200, releases
    return releases[0]


def _save_while_redis_is_away(platform, app: str) -> None:
    """A config change that passed the check for Redis and lost it before its rollout was queued:
    the service saves it with its release pending (the race the check cannot close)."""
    script = (
        "from django.contrib.auth import get_user_model\n"
        "from applications.models import App\n"
        "from applications.config_vars import config_vars_update\n"
        f"app = App.objects.get(name={app!r})\n"
        "config_vars_update(app=app, user=get_user_model().objects.get(username='admin'), changes={'RACED': '1'})\n"
    )
    result = platform.manage("shell", "-c", script)
    assert result.returncode == 0, result.stdout + result.stderr


# "empty": a Redis restarted without persistence (the worst case: queues, locks and worker
# registrations gone); "with its data": one that saved before it stopped and loads it again.
@pytest.mark.parametrize("comes_back", ["empty", "with its data"])
def test_redis_down_for_20s_refuses_changes_with_nothing_written_and_all_is_whole_once_it_is_back(
    own_platform, redis_server_of_our_own, tmp_path, comes_back
):
    platform, server = own_platform, redis_server_of_our_own
    address = f"127.0.0.1:{server.port}"
    app = platform.new_app()
    source = SourceTree(tmp_path / "src")
    source.write(static_site("steady\n")).commit()
    push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output
    dashboard = _dashboard(platform)
    before = {"processes": process_status(platform), "head": _branch_head(platform, app), "config": _config(platform, app),
              "builds": len(platform.api("GET", f"/api/apps/{app}/builds")[1]), "release": _newest_release(platform, app)}

    with RouterTraffic(platform, app, "steady\n") as traffic:
        time.sleep(1)
        if comes_back == "with its data":
            redis.Redis.from_url(server.url).save()  # dump.rdb in its directory, which it loads on start
        server.stop()
        down_at = time.monotonic()

        status, body = platform.api("PATCH", f"/api/apps/{app}/config-vars", {"GREETING": "hello"})
        assert status == 503, body
        assert body == {"error": f"the platform's Redis at {address} is unreachable; nothing was changed. Try again shortly."}
        assert _config(platform, app) == before["config"]
        assert _newest_release(platform, app)["version"] == before["release"]["version"]

        source.write({"index.html": "pushed while Redis was down\n"}).commit()
        push = source.push(platform.git_url(app))
        assert push.returncode != 0
        assert f"the platform's Redis at {address} is unreachable; the push was not accepted. Try again shortly." in push.output
        assert len(platform.api("GET", f"/api/apps/{app}/builds")[1]) == before["builds"]
        assert _branch_head(platform, app) == before["head"]

        status, health = _healthz(platform)
        assert status == 503 and health["ok"] is False, health
        assert health["checks"]["redis"]["ok"] is False and address in health["checks"]["redis"]["error"]
        assert all(health["checks"][name]["ok"] for name in ("database", "engine", "router")), health

        assert BANNER in dashboard.open(f"{platform.web_url}/apps/{app}/", timeout=10).read().decode()

        _save_while_redis_is_away(platform, app)
        raced = _newest_release(platform, app)
        assert raced["status"] == "pending" and raced["version"] == before["release"]["version"] + 1

        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
        during = process_status(platform)
        server.start()  # on the same port
        back_at = time.monotonic()

        healthy = seconds_until("/healthz to be ok", lambda: _healthz(platform)[0] == 200, timeout=30)
        # The change saved while Redis was away had its queued rollout lost: the reconciler queues it.
        platform.wait_for(f"v{raced['version']} live", lambda: platform.release(app, raced["version"])["status"] == "live", 90)
        raced_live = time.monotonic() - back_at
        status, body = platform.api("PATCH", f"/api/apps/{app}/config-vars", {"GREETING": "hello"})
        assert status == 200, body
        change = _newest_release(platform, app)
        assert change["version"] == raced["version"] + 1
        platform.wait_for(f"v{change['version']} live", lambda: platform.release(app, change["version"])["status"] == "live", 90)
        change_live = time.monotonic() - back_at
        time.sleep(1)
    after = process_status(platform)
    push = source.push(platform.git_url(app))  # the commit refused during the outage (it changes what is served)
    push_seconds = time.monotonic() - back_at

    print(f"\nRedis down {OUTAGE_SECONDS}s, back {comes_back}: router {traffic.summary()}; /healthz ok {healthy:.1f}s after Redis was back; "
          f"the change saved during the outage live {raced_live:.1f}s after; a new change live {change_live:.1f}s after")
    print(f"platform processes during the outage: { {n: s.get('state') for n, s in during.items()} }")
    print(f"restarted by the outage: {sorted(n for n, s in after.items() if s.get('pid') != before['processes'].get(n, {}).get('pid'))}")
    print(f"the push refused during the outage, pushed again: exit {push.returncode}, done {push_seconds:.1f}s after Redis was back")
    assert traffic.failed == 0, traffic.summary()
    assert push.returncode == 0, push.output
    assert _config(platform, app) == {**before["config"], "RACED": "1", "GREETING": "hello"}
    assert all(state.get("state") == "running" for state in after.values()), after
    assert redis.Redis.from_url(server.url).ping()
