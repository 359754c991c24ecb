"""Push-to-live benchmark: how long from `git push` until the new content is served?

A cached rebuild (only index.html changes: the base and Dockerfile layers are cached, the COPY
layer is rebuilt) on a throwaway platform instance, beside a floor measured in the same run and
interleaved round by round: `docker build` (classic builder, as the platform uses) + `docker run`
of the same context until the container serves the new content. Prints per-round seconds, both
medians and their ratio; the aim is a ratio under 2. It reports, it does not assert: exit 0
either way, non-zero only if something fails (a rejected push, content never served...).

Run from the repo root (needs Docker, Redis and nginx, like the end-to-end tests):
    make bench    (or: .venv/bin/python bench/push_to_live.py [--runs N] [--show-push])
"""
import argparse
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BenchFailed, cleanup_floor, docker as _docker, fetch_url, print_against_floor, run_in_temp_dir,
    wait_for as _wait_for,
)
from tests.support import Platform, SourceTree, ensure_base_image, start_platform, static_site, stop_platform  # noqa: E402

AIM = 2.0
POLL = 0.02  # seconds between GETs while waiting for the new content
TIMEOUT = 60.0  # give up waiting for the new content after this long
DOCKER_ENV = {**os.environ, "DOCKER_BUILDKIT": "0"}


def docker(*args: str) -> str:
    return _docker(*args, env=DOCKER_ENV)


def wait_for(fetch: Callable[[], str], text: str) -> None:
    _wait_for(fetch, text, timeout=TIMEOUT, poll=POLL)


def platform_round(platform: Platform, app: str, source: SourceTree, text: str) -> tuple[float, str]:
    """Seconds from starting `git push` until the router serves `text`, and the push output."""
    source.write({"index.html": text}).commit(text)
    started = time.monotonic()
    push = source.push(platform.git_url(app))
    if push.returncode != 0:
        raise BenchFailed(f"git push was rejected:\n{push.output}")
    wait_for(lambda: platform.get(app)[1], text)
    return time.monotonic() - started, push.output


def floor_round(context: Path, tag: str, label: str, text: str) -> float:
    """Seconds for a direct docker build + docker run of the same context until it serves `text`."""
    (context / "index.html").write_text(text)
    started = time.monotonic()
    # --label: the platform labels its builds too, which adds the same LABEL step to the build.
    docker("build", "-q", "--label", label, "-t", tag, str(context))
    container = docker("run", "-d", "--label", label, "-e", "PORT=5000", "-p", "127.0.0.1::5000", tag)
    try:
        host, port = docker("port", container, "5000/tcp").splitlines()[0].rsplit(":", 1)
        wait_for(lambda: fetch_url(f"http://{host}:{port}/"), text)
        return time.monotonic() - started
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)


def run(runs: int, show_push: bool, tmp: Path) -> tuple[list[float], list[float]]:
    bench_id = uuid.uuid4().hex[:8]
    label, tag = f"io.paas.bench={bench_id}", f"paas-bench-{bench_id}/floor:latest"
    base = ensure_base_image()
    context = tmp / "floor"
    context.mkdir()
    (context / "Dockerfile").write_text(static_site("", base)["Dockerfile"])
    platform = start_platform(tmp)
    try:
        app = platform.new_app()
        source = SourceTree(tmp / "src").write(static_site(f"warm-up {bench_id}\n", base))
        print(f"platform instance {platform.instance}, app {app}; warming up both caches...", flush=True)
        platform_round(platform, app, source, f"warm-up {bench_id}\n")
        floor_round(context, tag, label, f"warm-up {bench_id}\n")
        print(f"{'round':>5}  {'platform s':>10}  {'floor s':>8}", flush=True)
        platform_times, floor_times, output = [], [], ""
        for i in range(1, runs + 1):
            text = f"round {i} of bench {bench_id}\n"
            # Alternate which goes first so drift in machine load hits both alike.
            if i % 2:
                took, output = platform_round(platform, app, source, text)
                floor = floor_round(context, tag, label, text)
            else:
                floor = floor_round(context, tag, label, text)
                took, output = platform_round(platform, app, source, text)
            platform_times.append(took)
            floor_times.append(floor)
            print(f"{i:>5}  {took:>10.2f}  {floor:>8.2f}", flush=True)
        if show_push:
            print("\nOutput of the last push:\n" + output.rstrip())
        return platform_times, floor_times
    finally:
        stop_platform(platform)
        cleanup_floor(label)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--show-push", action="store_true", help="print the output of the last push")
    args = parser.parse_args()
    measured = run_in_temp_dir(lambda tmp: run(max(1, args.runs), args.show_push, tmp))
    if measured is None:
        return 1
    platform_times, floor_times = measured
    print_against_floor(
        "push to live", platform_times, floor_times, floor_is="docker build + docker run until it answers", aim=AIM
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
