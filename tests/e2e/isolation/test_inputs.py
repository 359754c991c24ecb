"""Issue 14, finding 7 (part): input that was taken and then failed every rollout of the app is
refused up front with a 400 saying why, and the app that was serving goes on serving, with its
next rollout as healthy as before: a NUL in a config value (runc refused it), config vars past
PAAS_CONFIG_MAX_BYTES ("argument list too long") and a health check path the check could not
send (UnicodeEncodeError)."""
import pytest

from tests.support import deploy_site

pytestmark = pytest.mark.e2e

SITE = "serving as before\n"


@pytest.fixture
def site(platform, tmp_path) -> str:
    app = deploy_site(platform, tmp_path / "site", SITE)
    assert platform.get(app) == (200, SITE)
    return app


def _releases(platform, app) -> list[int]:
    status, releases = platform.api("GET", f"/api/apps/{app}/releases")
    assert status == 200, releases
    return [release["version"] for release in releases]


def _refused(platform, app: str, path: str, body: dict) -> str:
    status, answer = platform.api("PATCH", f"/api/apps/{app}{path}", body)
    assert status == 400, answer
    return answer["error"]


def test_a_nul_in_a_config_value_is_refused_and_the_app_keeps_serving(platform, site):
    before = _releases(platform, site)
    error = _refused(platform, site, "/config-vars", {"GREETING": "hello\x00world"})
    assert "GREETING" in error and "NUL" in error
    assert platform.api("GET", f"/api/apps/{site}/config-vars") == (200, {})
    assert _releases(platform, site) == before  # no release made, so no rollout to fail
    assert platform.get(site) == (200, SITE)


def test_config_vars_past_the_cap_are_refused_and_the_next_rollout_still_starts(platform, site):
    before = _releases(platform, site)
    # 40 values of 1,000 bytes: past the 32,768 bytes an app may have, each one well under it.
    error = _refused(platform, site, "/config-vars", {f"LARGE_{n:03}": "x" * 1000 for n in range(40)})
    assert "PAAS_CONFIG_MAX_BYTES" in error and "32768" in error
    assert platform.api("GET", f"/api/apps/{site}/config-vars") == (200, {})
    assert _releases(platform, site) == before
    assert platform.get(site) == (200, SITE)

    # What fits goes live as usual: the refusal left nothing behind that breaks a rollout.
    status, _ = platform.api("PATCH", f"/api/apps/{site}/config-vars", {"FITS": "x" * 30000})
    assert status == 200
    assert platform.wait_release(site, before[0] + 1)["status"] == "live"
    assert platform.get(site) == (200, SITE)


def test_a_health_check_path_the_check_cannot_send_is_refused_and_the_app_keeps_serving(platform, site):
    before = _releases(platform, site)
    for path in ("/santé", "/health check", "health"):
        error = _refused(platform, site, "", {"checks": {"path": path}})
        assert '"/" then printable ASCII with no spaces' in error, path
    status, app = platform.api("GET", f"/api/apps/{site}")
    assert (status, app["checks"]) == (200, {})
    assert platform.get(site) == (200, SITE)

    # The next rollout health-checks with the settings the app has: the default, which passes.
    assert platform.api("PATCH", f"/api/apps/{site}/config-vars", {"GREETING": "hi"})[0] == 200
    assert platform.wait_release(site, before[0] + 1)["status"] == "live"
    assert platform.get(site) == (200, SITE)
