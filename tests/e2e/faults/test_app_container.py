"""A killed app container while the reconciler is down too: the app serves again from a new
container within seconds, without a human, and the release that serves is still the live one."""
import subprocess
import time

import pytest

from tests.faults import RouterTraffic, kill_process, replaced, seconds_until
from tests.support import deploy_site

pytestmark = pytest.mark.e2e

TEXT = "killed and replaced"


def test_a_docker_killed_web_container_is_replaced_with_the_reconciler_killed_too(platform, tmp_path):
    app = deploy_site(platform, tmp_path / "site", TEXT)
    platform.wait_for("the app to serve", lambda: platform.get(app) == (200, TEXT))
    live_before = [r for r in platform.api("GET", f"/api/apps/{app}/releases")[1] if r["status"] == "live"]
    killed_containers = platform.containers(app, process_type="web")
    assert len(killed_containers) == 1

    with RouterTraffic(platform, app, TEXT) as traffic:
        time.sleep(1)
        old_reconciler = kill_process(platform, "reconciler")
        # `docker kill`: the engine's restart policy leaves a container killed this way dead.
        subprocess.run(["docker", "kill", *killed_containers], capture_output=True, check=True)
        killed = time.monotonic()
        took = seconds_until(
            "a new web container to serve",
            lambda: platform.get(app) == (200, TEXT)
            and not set(platform.containers(app, process_type="web")) & set(killed_containers),
            timeout=30, poll=0.05,
        )
        seconds_until("the reconciler to be back", lambda: replaced(platform, "reconciler", old_reconciler), timeout=30)
        served_again = killed + took
        time.sleep(2)

    late = [f for f in traffic.failures if f.at > served_again + 0.5]
    print(f"\napp container killed, reconciler killed: serving again after {took:.2f}s; {traffic.summary()}")
    assert took < 15, f"the app was down {took:.1f}s"
    assert late == [], f"requests still failed after the app served again: {late[:5]}"
    live_after = [r for r in platform.api("GET", f"/api/apps/{app}/releases")[1] if r["status"] == "live"]
    assert [r["version"] for r in live_after] == [r["version"] for r in live_before]
