"""Sample apps benchmark: how long real public apps take from `git push` to serving.

On a throwaway platform instance, each sample of tests/samples.py (Flask's tutorial, an
express-generator app, html5-boilerplate, a Django 6 startproject) is pushed through the
builtin buildpack with its dependencies from a local mirror (tests/mirrors.py): a first push
(empty app, cold dependency layer) and code-only pushes (one code file changed), each timed
until the router serves the sample's page. The floor, in the same run: a direct `docker build`
(classic builder) of the Dockerfile the buildpack writes for that source (same base image, same
install commands; build arguments naming a mirror of its own, so it installs the dependencies
afresh), then after the same code-only change, plus `docker run` of its web command until it
answers. Prints a table of seconds and
ratios against the floor. It reports, it does not assert.

Run from the repo root after `make base-images` (needs Docker, Redis, nginx, and the host's
pip and npm reaching PyPI and the npm registry once, to fill /var/cache/paas-tests/):
    make bench-sample-apps    (or: .venv/bin/python bench/sample_apps.py [--runs N] [--only NAME])
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

from bench.common import BenchFailed, cleanup_floor, docker, fetch_url, run_in_temp_dir, wait_for
from tests.samples import SAMPLES, Sample, mirror_for
from tests.support import ROOT, Platform, SourceTree, git, start_platform, stop_platform

TIMEOUT = 300.0
# The file a code-only push changes in each sample, and the comment it appends.
CODE_FILES = {
    "flaskr": ("flaskr/blog.py", "# bench round {n}\n"),
    "express": ("app.js", "// bench round {n}\n"),
    "html5-boilerplate": ("index.html", "<!-- bench round {n} -->\n"),
    "django": ("mysite/urls.py", "# bench round {n}\n"),
}


def buildpack_plan(source: SourceTree, tmp: Path, build_vars: list[str]):
    """The buildpack's plan (Dockerfile, generated files, default web) for this source."""
    os.environ.setdefault("PAAS_VAR_DIR", str(tmp / "bench-settings"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paas.settings")
    if str(ROOT / "platform") not in sys.path:
        sys.path.insert(0, str(ROOT / "platform"))
    import django

    django.setup()
    from builds.buildpacks import detect
    from builds.source import SourceArchive

    archive = tmp / f"{source.path.name}.tar"
    git(source.path, "archive", "--format=tar", "-o", str(archive), "HEAD")
    return detect(SourceArchive(archive)).plan(SourceArchive(archive), build_vars)


def web_command(sample: Sample, plan) -> str:
    procfile = sample.root / "Procfile"
    if procfile.exists():
        for line in procfile.read_text().splitlines():
            if line.startswith("web:"):
                return line.removeprefix("web:").strip()
    return plan.default_process_types["web"]


def served(fetch, sample: Sample) -> None:
    wait_for(fetch, sample.page_says, timeout=TIMEOUT, poll=0.05)


def push_round(platform: Platform, app: str, source: SourceTree, sample: Sample) -> float:
    source.commit("bench")
    started = time.monotonic()
    push = source.push(platform.git_url(app))
    if push.returncode != 0:
        raise BenchFailed(f"git push of {sample.name} was rejected:\n{push.output[-3000:]}")
    served(lambda: fetch_url(f"http://127.0.0.1:{platform.router_port}{sample.page}", f"{app}.localhost"), sample)
    return time.monotonic() - started


class Floor:
    """The same build by hand: docker build of the buildpack's Dockerfile, docker run, poll."""

    def __init__(self, sample: Sample, plan, context: Path, build_args: dict[str, str], label: str) -> None:
        self.sample, self.context, self.build_args, self.label = sample, context, build_args, label
        self.tag = f"paas-bench-{label.rpartition('=')[2]}/{sample.name}:latest"
        self.command = web_command(sample, plan)
        for name, text in plan.generated.items():
            (context / name).write_text(text)
        (context / "Dockerfile.floor").write_text(plan.dockerfile())

    def round(self, *, no_cache: bool) -> float:
        arguments = [item for name, value in self.build_args.items() for item in ("--build-arg", f"{name}={value}")]
        started = time.monotonic()
        docker("build", "-q", *(["--no-cache"] if no_cache else []), "--label", self.label, *arguments,
               "-f", str(self.context / "Dockerfile.floor"), "-t", self.tag, str(self.context),
               env={**os.environ, "DOCKER_BUILDKIT": "0"})
        container = docker("run", "-d", "--label", self.label, "-e", "PORT=5000", "-p", "127.0.0.1::5000", self.tag,
                           "/bin/sh", "-c", self.command)
        try:
            host, port = docker("port", container, "5000/tcp").splitlines()[0].rsplit(":", 1)
            served(lambda: fetch_url(f"http://{host}:{port}{self.sample.page}", "localhost"), self.sample)
            return time.monotonic() - started
        finally:
            subprocess.run(["docker", "rm", "-f", container], check=False, capture_output=True)


def bench_sample(platform: Platform, sample: Sample, runs: int, tmp: Path, label: str) -> dict[str, list[float]]:
    # The floor gets a mirror of its own: other build arguments, so its dependency step runs
    # afresh rather than reuse the platform's layer, while the steps before it are cached for
    # both alike.
    with mirror_for(sample, platform.instance) as mirror, mirror_for(sample, platform.instance) as floor_mirror:
        build_args = mirror.build_config() if mirror is not None else {}
        floor_args = floor_mirror.build_config() if floor_mirror is not None else {}
        app = platform.new_app()
        if build_args:
            platform.api("PATCH", f"/api/apps/{app}/config-vars", build_args)
            platform.api("PATCH", f"/api/apps/{app}", {"build_vars": sorted(build_args)})
        source = SourceTree(tmp / sample.name)
        for name, data in sample.files().items():
            (source.path / name).parent.mkdir(parents=True, exist_ok=True)
            (source.path / name).write_bytes(data)
        times = {"first": [push_round(platform, app, source, sample)]}
        context = tmp / f"{sample.name}-floor"
        git(source.path, "worktree", "add", "-q", "--detach", str(context))
        floor = Floor(sample, buildpack_plan(source, tmp, sorted(floor_args)), context, floor_args, label)
        # With no dependencies (a static site) nothing tells the floor's layers from the
        # platform's: it builds them all again.
        times["floor first"] = [floor.round(no_cache=not floor_args)]
        code_file, comment = CODE_FILES[sample.name]
        times["code-only"], times["floor code-only"] = [], []
        for n in range(1, runs + 1):
            for tree in (source.path, context):
                with open(tree / code_file, "a") as file:
                    file.write(comment.format(n=n))
            # Alternate which goes first, so drift in machine load hits both alike.
            order = [("code-only", lambda: push_round(platform, app, source, sample)),
                     ("floor code-only", lambda: floor.round(no_cache=False))]
            for key, measure in order if n % 2 else reversed(order):
                times[key].append(measure())
        return times


def run(names: list[str], runs: int, tmp: Path) -> dict[str, dict[str, list[float]]]:
    label = f"io.paas.bench={uuid.uuid4().hex[:8]}"
    platform = start_platform(tmp)
    results = {}
    try:
        print(f"platform instance {platform.instance}; {runs} code-only round(s) per sample", flush=True)
        for name in names:
            sample = SAMPLES[name]()
            results[name] = bench_sample(platform, sample, runs, tmp, label)
            times = results[name]
            print(f"  {name}: first {times['first'][0]:.1f}s (floor {times['floor first'][0]:.1f}s), code-only "
                  + ", ".join(f"{value:.1f}" for value in times["code-only"]) + "s (floor "
                  + ", ".join(f"{value:.1f}" for value in times["floor code-only"]) + "s)", flush=True)
        return results
    finally:
        stop_platform(platform)
        cleanup_floor(label)


def print_table(results: dict[str, dict[str, list[float]]]) -> None:
    header = (f"{'sample':<18} {'first push s':>12} {'floor s':>8} {'ratio':>6}   "
              f"{'code-only s':>11} {'floor s':>8} {'ratio':>6}")
    print("\n" + header + "\n" + "-" * len(header))
    for name, times in results.items():
        first, floor_first = times["first"][0], times["floor first"][0]
        code, floor_code = statistics.median(times["code-only"]), statistics.median(times["floor code-only"])
        print(f"{name:<18} {first:>12.2f} {floor_first:>8.2f} {first / floor_first:>6.2f}   "
              f"{code:>11.2f} {floor_code:>8.2f} {code / floor_code:>6.2f}")
    print("(first push: empty app to live, dependencies installed from a local mirror; floor: docker build of the "
          "buildpack's Dockerfile installing them afresh from a mirror of its own + docker run until the page "
          "answers. code-only: median push of one changed code file to live; floor: the same docker build with "
          "its dependency layer cached + docker run.)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="code-only rounds per sample (default 3)")
    parser.add_argument("--only", choices=list(SAMPLES), action="append", help="bench only this sample (repeatable)")
    args = parser.parse_args()
    results = run_in_temp_dir(lambda tmp: run(args.only or list(SAMPLES), max(1, args.runs), tmp))
    if results is None:
        return 1
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
