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


def test_with_two_web_processes_one_docker_killed_costs_next_to_no_request(platform, tmp_path):
    app = deploy_site(platform, tmp_path / "site", TEXT)
    status, body = platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "web", "quantity": 2}])
    assert status == 200, body
    platform.wait_for("two web containers", lambda: len(platform.containers(app, process_type="web")) == 2)
    platform.wait_for("the app to serve", lambda: platform.get(app) == (200, TEXT))
    time.sleep(2)  # the router points at both
    victim = platform.containers(app, process_type="web")[0]

    with RouterTraffic(platform, app, TEXT) as traffic:
        time.sleep(1)
        subprocess.run(["docker", "kill", victim], capture_output=True, check=True)
        took = seconds_until(
            "the killed web container to be replaced",
            lambda: len(set(platform.containers(app, process_type="web")) - {victim}) == 2,
            timeout=30, poll=0.05,
        )
        time.sleep(2)

    print(f"\none of two web containers killed: replaced after {took:.2f}s; {traffic.summary()}")
    # A request refused by the dead container is tried again, up to 8 times, and the kernel sends
    # each try to either container at random until the reconciler points the endpoint at the
    # live one alone (within a second): without the retries, every request sent to the dead
    # one in that second failed; with them, one in 256 of those.
    assert traffic.failed <= 3, traffic.summary()
