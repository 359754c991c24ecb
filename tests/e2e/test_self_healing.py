"""Apps keep serving while the platform's own processes restart, and the router is rebuilt
from the database when it comes back. (kill -9 of each, and supervision: tests/e2e/faults.)"""
import os
import signal
import time
from pathlib import Path

import pytest

from tests.faults import process_pid, process_status
from tests.support import Load, deploy_site, nat_rules

pytestmark = pytest.mark.e2e


def _stop_service(platform, name: str) -> None:
    pid = process_pid(platform, name)
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGUSR1)  # its threads' stacks, into its log (manage.py)
    time.sleep(0.5)
    log = platform.var_dir / "log" / f"{name}.log"
    tail = log.read_text()[-6000:] if log.exists() else "(no log)"
    raise AssertionError(f"{name} (pid {pid}) did not stop within 20s of SIGTERM; its log ends:\n{tail}")


def _deployed(platform, tmp_path, text: str) -> str:
    return deploy_site(platform, tmp_path / "src", text)


def test_restarting_web_workers_and_reconciler_never_interrupts_serving(platform, tmp_path):
    app = _deployed(platform, tmp_path, "steady\n")
    load = Load(platform, app, "steady\n")
    load.start()
    time.sleep(0.5)

    names = [name for name in process_status(platform) if name not in ("router", "events")]
    assert {"web", "worker-1", "reconciler"} <= set(names)
    for name in names:
        _stop_service(platform, name)  # each stops within 20 s of SIGTERM (supervisor starts it again)
    result = platform.manage("platform_up")
    assert result.returncode == 0, result.stdout + result.stderr
    time.sleep(1)

    load.finish()
    assert load.sent > 100
    assert load.failures == []
    assert platform.api("GET", f"/api/apps/{app}")[0] == 200  # and the control plane is back


def test_router_restart_is_rebuilt_from_the_database(platform, tmp_path):
    app = _deployed(platform, tmp_path, "routed again\n")
    nginx_pid = int((platform.var_dir / "run" / "router.pid").read_text())
    # The router's state is lost too: the app's server block (a file named by the app's id).
    served = [conf for conf in (platform.var_dir / "router" / "apps").glob("*.conf")
              if f"server_name {app}." in conf.read_text()]
    assert len(served) == 1
    served[0].unlink()
    os.kill(nginx_pid, signal.SIGQUIT)
    platform.wait_for("nginx to stop", lambda: not Path(f"/proc/{nginx_pid}").exists(), timeout=20)
    # and the kernel's routes, as after a reboot of the host (the reconciler, still running,
    # may put them back before platform_up does)
    forget = platform.manage("shell", "-c", "from router import endpoints; endpoints.remove_all()")
    assert forget.returncode == 0, forget.stderr

    result = platform.manage("platform_up")

    assert result.returncode == 0, result.stdout + result.stderr
    assert platform.get(app) == (200, "routed again\n")
    assert f"paas app {app}" in nat_rules()
