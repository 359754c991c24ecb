"""Rollback benchmark: how long from the rollback call until the old content is served?

On a throwaway platform instance, a static app is deployed twice (v1 and v2 content), then each
round rolls back (POST releases {"release": N}) alternately to v1 and to v2, so each round
changes what is served, and times from the call until the router serves that release's content
(GET through the router every 20 ms; the rollout is blue/green: start a container from the
cached image, health-check it, switch the router). Beside it, a floor measured in the same run
and interleaved round by round: `docker run -d -p 127.0.0.1:PORT:5000 -e PORT=5000 IMAGE` of
the same cached image (taken from the release JSON) until it answers the same content; it is
removed afterwards, untimed. Prints per-round seconds, both medians and their ratio; the aim is
a ratio under 3. It reports, it does not assert: exit 0 either way, non-zero only if something
fails (a refused rollback, a failed release, content never served...).

Run from the repo root (needs Docker, Redis and nginx, like the end-to-end tests):
    make bench-rollback    (or: .venv/bin/python bench/rollback.py [--runs N])
"""
import argparse
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BenchFailed, cleanup_floor, docker, fetch_url, print_against_floor, print_log_tails, release, run_in_temp_dir,
    wait_for as _wait_for, wait_live as _wait_live,
)
from tests.support import (  # noqa: E402
    Platform, SourceTree, ensure_base_image, free_port, start_platform, static_site, stop_platform,
)

AIM = 3.0
POLL = 0.02  # seconds between GETs while waiting for the content
TIMEOUT = 60.0  # give up waiting for the content (or a release) after this long
GET_TIMEOUT = 2.0  # seconds: short GETs, so one stuck request cannot hide the switch


def wait_for(fetch: Callable[[], str], text: str) -> None:
    _wait_for(fetch, text, timeout=TIMEOUT, poll=POLL)


def wait_live(platform: Platform, app: str, version: int) -> dict:
    return _wait_live(platform, app, version, timeout=TIMEOUT, poll=0.1)


def deploy(platform: Platform, app: str, source: SourceTree, text: str, version: int) -> dict:
    """git push new content as release `version`; returns its release JSON."""
    source.write({"index.html": text}).commit(text)
    push = source.push(platform.git_url(app))
    if push.returncode != 0:
        raise BenchFailed(f"git push was rejected:\n{push.output}")
    return wait_live(platform, app, version)


def platform_round(platform: Platform, app: str, target: int, text: str) -> float:
    """Seconds from the rollback call to release `target` until the router serves `text`."""
    url, host = f"http://127.0.0.1:{platform.router_port}/", f"{app}.localhost"
    started = time.monotonic()
    status, body = platform.api("POST", f"/api/apps/{app}/releases", {"release": target})
    if status != 201:
        raise BenchFailed(f"rollback to v{target} answered {status}: {body}")
    try:
        wait_for(lambda: fetch_url(url, host, GET_TIMEOUT), text)
    except BenchFailed as error:
        raise BenchFailed(f"{error}; v{body['version']} is {release(platform, app, body['version'])['status']}")
    took = time.monotonic() - started
    wait_live(platform, app, body["version"])  # untimed: served is not enough, it must also end live
    return took


def floor_round(image: str, label: str, text: str) -> float:
    """Seconds for a direct docker run of the cached image until it serves `text`."""
    port = free_port()
    started = time.monotonic()
    container = docker("run", "-d", "--label", label, "-p", f"127.0.0.1:{port}:5000", "-e", "PORT=5000", image)
    try:
        wait_for(lambda: fetch_url(f"http://127.0.0.1:{port}/", timeout=GET_TIMEOUT), text)
        return time.monotonic() - started
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)


def run(runs: int, tmp: Path) -> tuple[list[float], list[float]]:
    bench_id = uuid.uuid4().hex[:8]
    label = f"io.paas.bench={bench_id}"
    base = ensure_base_image()
    platform = start_platform(tmp)
    try:
        app = platform.new_app()
        print(f"platform instance {platform.instance} (var dir {platform.var_dir}), app {app}", flush=True)
        texts = {1: f"v1 of bench {bench_id}\n", 2: f"v2 of bench {bench_id}\n"}
        source = SourceTree(tmp / "src").write(static_site(texts[1], base))
        images = {version: deploy(platform, app, source, texts[version], version)["image"] for version in (1, 2)}
        print(f"v1 image {images[1]}, v2 image {images[2]}; warming up both...", flush=True)
        platform_round(platform, app, 1, texts[1])
        floor_round(images[1], label, texts[1])
        print(f"{'round':>5}  {'to':>3}  {'platform s':>10}  {'floor s':>8}", flush=True)
        platform_times, floor_times = [], []
        for i in range(1, runs + 1):
            target = 2 if i % 2 else 1  # v1 is served after the warm-up: start with v2
            # Alternate which goes first so drift in machine load hits both alike.
            if i % 2:
                took = platform_round(platform, app, target, texts[target])
                floor = floor_round(images[target], label, texts[target])
            else:
                floor = floor_round(images[target], label, texts[target])
                took = platform_round(platform, app, target, texts[target])
            platform_times.append(took)
            floor_times.append(floor)
            print(f"{i:>5}  {'v' + str(target):>3}  {took:>10.2f}  {floor:>8.2f}", flush=True)
        return platform_times, floor_times
    except (BenchFailed, AssertionError):
        print_log_tails(platform)
        raise
    finally:
        stop_platform(platform)
        cleanup_floor(label)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (default 5)")
    args = parser.parse_args()
    measured = run_in_temp_dir(lambda tmp: run(max(1, args.runs), tmp))
    if measured is None:
        return 1
    platform_times, floor_times = measured
    print_against_floor(
        "rollback to served", platform_times, floor_times, what_is="POST releases until the router serves it",
        floor_is="docker run of the cached image until it answers", aim=AIM,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
