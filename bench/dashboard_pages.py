"""Dashboard page times with 100 apps of 100 releases each, through the real web server.

On a throwaway platform instance: 100 apps with 100 releases each (the newest live), a
formation and 20 activity entries each, all in one team; a logged-in session (admin) then
asks for the apps list and one app's releases page N times each, and for /healthz (the same
server and Django, no page) as the floor. Prints median and p95 of each and the aim: every
page's median under 100 ms. Tests hold the pages' query counts (tests/integration/
test_dashboard_queries.py); this says how long they take.

Run from the repo root (needs Docker, Redis and nginx, like the end-to-end tests):
    .venv/bin/python bench/dashboard_pages.py [--runs 30]
"""
import argparse
import os
import signal
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BenchFailed, run_in_temp_dir  # noqa: E402
from tests.support import Platform, ensure_base_image, start_platform, stop_platform  # noqa: E402

AIM_MS = 100
SEED = """
from django.contrib.auth import get_user_model
from accounts.models import Team
from activity.models import Activity
from applications.models import App, Formation, Release
team, admin = Team.objects.get(name="default"), get_user_model().objects.get(username="admin")
apps = App.objects.bulk_create(App(name=f"app-{i:03d}", team=team) for i in range(100))
Release.objects.bulk_create(
    Release(app=app, version=v, image=f"img:{v}", description=f"Deploy {v:07x}", created_by=admin,
            status="live" if v == 100 else "retired")
    for app in apps for v in range(1, 101))
Formation.objects.bulk_create(Formation(app=app, process_type=t, quantity=1, memory_mb=256, cpus=1.0)
                              for app in apps for t in ("web", "worker"))
Activity.objects.bulk_create(Activity(team=team, app=app, app_name=app.name, actor=admin, actor_name="admin",
                                      verb="deploy", text=f"Deploy (v{v})") for app in apps for v in range(20))
"""


def stop_service(platform: Platform, name: str) -> None:
    pid = int((platform.var_dir / "run" / f"{name}.pid").read_text())
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def logged_in(platform: Platform) -> requests.Session:
    session = requests.Session()
    session.get(f"{platform.web_url}/login/", timeout=10)
    password = (platform.var_dir / "admin.password").read_text().strip()
    response = session.post(
        f"{platform.web_url}/login/",
        data={"username": "admin", "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{platform.web_url}/login/"}, timeout=10, allow_redirects=False,
    )
    if response.status_code != 302:
        raise BenchFailed(f"logging in answered {response.status_code}")
    return session


def timed(session: requests.Session, url: str, runs: int) -> list[float]:
    session.get(url, timeout=30)  # warm: templates compiled, connections open
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = session.get(url, timeout=30)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise BenchFailed(f"GET {url} answered {response.status_code}")
    return times


def report(name: str, times: list[float]) -> float:
    ordered = sorted(times)
    median, p95 = statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000
    print(f"  {name:<34} median {median:6.1f} ms   p95 {p95:6.1f} ms")
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    ensure_base_image()

    def run(tmp: Path) -> bool:
        platform = start_platform(tmp / "platform")
        try:
            # Only the web server matters here; the reconciler would try to run the 100 made-up
            # releases' images meanwhile, and the sampler to sample them.
            for name in ("reconciler", "metrics", "logs"):
                stop_service(platform, name)
            seeded = platform.manage("shell", "-c", SEED)
            if seeded.returncode != 0:
                raise BenchFailed(f"seeding failed:\n{seeded.stderr}")
            session = logged_in(platform)
            print(f"100 apps x 100 releases, {args.runs} requests each, logged in as admin")
            floor = report("floor: /healthz", timed(session, f"{platform.web_url}/healthz", args.runs))
            pages = {
                "apps list: /": "/",
                "releases: /apps/app-042/releases/": "/apps/app-042/releases/",
                "overview: /apps/app-042/": "/apps/app-042/",
            }
            medians = [report(name, timed(session, platform.web_url + path, args.runs)) for name, path in pages.items()]
            worst = max(medians)
            print(f"\nslowest page median {worst:.1f} ms (floor {floor:.1f} ms): aim < {AIM_MS} ms "
                  f"{'met' if worst < AIM_MS else 'NOT met'}")
            return True
        finally:
            stop_platform(platform)

    return 0 if run_in_temp_dir(run) else 1


if __name__ == "__main__":
    sys.exit(main())
