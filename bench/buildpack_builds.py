"""Buildpack benchmark: what the cached dependency layer saves a Python app's push.

On a throwaway platform instance, a Python app with no Dockerfile (the Python buildpack, its
one dependency from a private package index on the engine's bridge) is pushed round by round
two ways: with a changed requirements.txt (pip installs again) and with only code changed (the
installed dependencies are reused). The floor, measured in the same run and interleaved: a
direct `docker build` (classic builder) of the same source with the Dockerfile the buildpack
writes, after the same code-only change, plus `docker run` until it serves. Prints per-round
seconds, the medians, code-only against the floor (the aim is a ratio under 2) and
dependencies-changed against code-only (what the cache saves). It reports, it does not assert.

Run from the repo root after `make base-images` (needs Docker, Redis and nginx):
    make bench-buildpack    (or: .venv/bin/python bench/buildpack_builds.py [--runs N])
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BenchFailed, cleanup_floor, docker, fetch_url, print_against_floor, run_in_temp_dir, wait_for,
)
from tests.support import (  # noqa: E402
    ROOT, PackageIndex, Platform, SourceTree, git, python_greeting_app, start_platform, stop_platform,
)

AIM = 2.0
TIMEOUT = 120.0


def buildpack_dockerfile(source: SourceTree, tmp: Path, build_vars: list[str]) -> str:
    """The Dockerfile the Python buildpack writes for this source, as the platform would."""
    os.environ.setdefault("PAAS_VAR_DIR", str(tmp / "bench-settings"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paas.settings")
    sys.path.insert(0, str(ROOT / "platform"))
    import django

    django.setup()
    from builds.buildpacks import Python
    from builds.source import SourceArchive

    archive = tmp / "source.tar"
    git(source.path, "archive", "--format=tar", "-o", str(archive), "HEAD")
    return Python().plan(SourceArchive(archive), build_vars).dockerfile()


def push_round(platform: Platform, app: str, source: SourceTree, files: dict[str, str], expected: str) -> float:
    source.write(files).commit(expected)
    started = time.monotonic()
    push = source.push(platform.git_url(app))
    if push.returncode != 0:
        raise BenchFailed(f"git push was rejected:\n{push.output}")
    wait_for(lambda: platform.get(app)[1], expected, timeout=TIMEOUT, poll=0.02)
    return time.monotonic() - started


def floor_round(context: Path, tag: str, label: str, build_args: dict[str, str], version: str, expected: str) -> float:
    (context / "app.py").write_text(python_greeting_app(version)["app.py"])
    started = time.monotonic()
    arguments = [item for name, value in build_args.items() for item in ("--build-arg", f"{name}={value}")]
    docker("build", "-q", "--label", label, *arguments, "-f", str(context / "Dockerfile.buildpack"), "-t", tag, str(context),
           env={**os.environ, "DOCKER_BUILDKIT": "0"})
    container = docker("run", "-d", "--label", label, "-e", "PORT=5000", "-p", "127.0.0.1::5000", tag,
                       "/bin/sh", "-c", "python app.py")
    try:
        host, port = docker("port", container, "5000/tcp").splitlines()[0].rsplit(":", 1)
        wait_for(lambda: fetch_url(f"http://{host}:{port}/"), expected, timeout=TIMEOUT, poll=0.02)
        return time.monotonic() - started
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)


def run(runs: int, tmp: Path) -> tuple[list[float], list[float], list[float]]:
    bench_id = uuid.uuid4().hex[:8]
    label, tag = f"io.paas.bench={bench_id}", f"paas-bench-{bench_id}/floor:latest"
    platform = start_platform(tmp)
    try:
        with PackageIndex(platform.instance) as index:
            build_args = index.build_config()
            app = platform.new_app()
            platform.api("PATCH", f"/api/apps/{app}/config-vars", build_args)
            platform.api("PATCH", f"/api/apps/{app}", {"build_vars": sorted(build_args)})
            source = SourceTree(tmp / "src").write(python_greeting_app("warm-up"))
            source.commit("warm-up")
            context = tmp / "floor"
            context.mkdir()
            for name, text in python_greeting_app("warm-up").items():
                (context / name).write_text(text)
            (context / "Dockerfile.buildpack").write_text(buildpack_dockerfile(source, tmp, sorted(build_args)))
            print(f"platform instance {platform.instance}, app {app}; warming up both caches...", flush=True)
            words = index.WORDS
            push_round(platform, app, source, {}, f"{words} (warm-up)\n")
            floor_round(context, tag, label, build_args, "warm-up", f"{words} (warm-up)\n")
            print(f"{'round':>5}  {'deps changed s':>14}  {'code only s':>11}  {'floor s':>8}", flush=True)
            installs, reuses, floors = [], [], []
            for i in range(1, runs + 1):
                requirements = f"greeting==1.0\n# round {i} of bench {bench_id}\n"
                installs.append(push_round(platform, app, source, {"requirements.txt": requirements,
                                                                    "app.py": python_greeting_app(f"d{i}")["app.py"]},
                                           f"{words} (d{i})\n"))
                code_only = {"app.py": python_greeting_app(f"c{i}")["app.py"]}
                if i % 2:  # alternate which goes first, so drift in machine load hits both alike
                    reuses.append(push_round(platform, app, source, code_only, f"{words} (c{i})\n"))
                    floors.append(floor_round(context, tag, label, build_args, f"c{i}", f"{words} (c{i})\n"))
                else:
                    floors.append(floor_round(context, tag, label, build_args, f"c{i}", f"{words} (c{i})\n"))
                    reuses.append(push_round(platform, app, source, code_only, f"{words} (c{i})\n"))
                print(f"{i:>5}  {installs[-1]:>14.2f}  {reuses[-1]:>11.2f}  {floors[-1]:>8.2f}", flush=True)
            return installs, reuses, floors
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
    installs, reuses, floors = measured
    print_against_floor(
        "code-only push to live", reuses, floors, what_is="dependency layer reused",
        floor_is="docker build of the buildpack's Dockerfile + docker run until it answers", aim=AIM,
    )
    install, reuse = statistics.median(installs), statistics.median(reuses)
    print(f"median push with changed requirements.txt: {install:.2f}s (pip installs again); "
          f"{install / reuse:.1f}x the code-only push")
    return 0


if __name__ == "__main__":
    sys.exit(main())
