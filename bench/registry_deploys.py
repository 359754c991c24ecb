"""Registry deploys benchmark: from `docker push` of the tracked tag to live, and webhook answers.

On a throwaway platform instance, an app tracks 127.0.0.1:PORT/APP:latest and a real registry
(Debian's docker-registry, as in tests/e2e/test_registry_deploys.py) notifies its webhook.

Push to live: each round builds (untimed) a busybox httpd image serving that round's text, then
times from starting `docker push REPO:latest` until the router serves the text (the registry
notifies, the platform pulls by digest, makes a release and rolls it out). Beside it, a floor
measured in the same run and interleaved round by round, what a human would do by hand: a fresh
image pushed (untimed) under another tag and removed locally, then `docker pull REPO@DIGEST` +
`docker run` (127.0.0.1 only, PORT env) until it serves. Prints per-round seconds, both medians
and their ratio; the aim is a ratio under 2.

Webhook answer time: M notifications POSTed on one keep-alive connection, all ignored: replays
of the live image's digest, and every tenth a fresh-looking digest for another tag. Beside them,
interleaved request by request on a second keep-alive connection, as many GET /healthz on the
same web server as the floor. Prints p50 and p99 of each and the ratio of the p50s.

It reports, it does not assert: exit 0 either way, non-zero only if something fails (a failed
push or release, content never served, a notification not answered as expected...).

Run from the repo root (needs Docker, Redis, nginx and docker-registry, like the end-to-end tests):
    make bench-registry    (or: .venv/bin/python bench/registry_deploys.py [--runs N] [--notifications M])
"""
import argparse
import http.client
import json
import re
import secrets
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BenchFailed, cleanup_floor, docker, fetch_url, percentile, print_against_floor, print_log_tails, print_tail,
    run_in_temp_dir,
    wait_for as _wait_for, wait_live as _wait_live,
)
from tests.registry import ENVELOPE, TrackedApp, envelope, registry_available, tracked_registry  # noqa: E402
from tests.support import Platform, ensure_base_image, free_port, start_platform, stop_platform  # noqa: E402

AIM = 2.0
POLL = 0.02  # seconds between GETs while waiting for the new content
TIMEOUT = 60.0  # give up waiting for the new content (or a release) after this long
GET_TIMEOUT = 2.0  # seconds: short GETs, so one stuck request cannot hide the switch
OTHER_TAG = "bench-other"  # not the tracked tag: its notifications are ignored
OTHER_TAG_EVERY = 10  # every tenth notification is for OTHER_TAG, with a digest never seen
REPLAYED = "this image was already received"
NOT_TRACKED = "another tag"


def wait_for(fetch: Callable[[], str], text: str) -> None:
    _wait_for(fetch, text, timeout=TIMEOUT, poll=POLL)


def wait_live(platform: Platform, app: str, version: int) -> dict:
    return _wait_live(platform, app, version, timeout=TIMEOUT, poll=0.1)


def pushed_digest(output: str, reference: str) -> str:
    """The digest `docker push` reports ("latest: digest: sha256:... size: 527")."""
    found = re.search(r"digest: (sha256:[0-9a-f]{64})", output)
    if not found:
        raise BenchFailed(f"docker push {reference} reported no digest:\n{output}")
    return found.group(1)


def platform_round(tracked: TrackedApp, text: str, version: int) -> tuple[float, str]:
    """Seconds from starting `docker push` of the tracked tag until the router serves `text`, and
    the pushed digest; the release it made (`version`) must end live with that digest."""
    platform, app = tracked.platform, tracked.app
    reference = f"{tracked.repository}:latest"
    tracked.build("latest", text)  # untimed: the image is what is pushed, not how it was made
    started = time.monotonic()
    output = docker("push", reference)
    wait_for(lambda: platform.get(app)[1], text)
    took = time.monotonic() - started
    digest = pushed_digest(output, reference)
    release = wait_live(platform, app, version)  # untimed: served is not enough, it must also end live
    if release["image"] != f"{tracked.repository}@{digest}":
        raise BenchFailed(f"v{version} deployed {release['image']}, not the pushed {tracked.repository}@{digest}")
    return took, digest


def floor_round(tracked: TrackedApp, tag: str, label: str, text: str) -> float:
    """Seconds for docker pull REPO@DIGEST (of an image only the registry has) + docker run until
    it serves `text`."""
    image_id = tracked.build(tag, text)
    digest = tracked.push(tag)
    reference = f"{tracked.repository}@{digest}"
    docker("rmi", "-f", image_id)  # only the registry has it now: the pull is a real one
    if subprocess.run(["docker", "image", "inspect", reference], capture_output=True).returncode == 0:
        raise BenchFailed(f"{reference} is still on the host after docker rmi")
    port = free_port()
    started = time.monotonic()
    docker("pull", reference)
    container = docker("run", "-d", "--label", label, "-p", f"127.0.0.1:{port}:5000", "-e", "PORT=5000", reference)
    try:
        wait_for(lambda: fetch_url(f"http://127.0.0.1:{port}/", timeout=GET_TIMEOUT), text)
        return time.monotonic() - started
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)
        subprocess.run(["docker", "rmi", "-f", reference], capture_output=True)


class KeepAlive:
    """One keep-alive HTTP connection; `timed` answers (seconds, status, body)."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        self.reconnects = 0

    def timed(self, method: str, path: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> tuple[float, int, bytes]:
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                data = response.read()
                return time.perf_counter() - started, response.status, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed the idle connection: once, retry on a new one (and say so).
                self.conn.close()
                self.reconnects += 1
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def webhook_round(tracked: TrackedApp, digest: str, count: int) -> tuple[list[float], list[float], int]:
    """Answer times of `count` ignored notifications and of as many GET /healthz, interleaved."""
    hook = urllib.parse.urlsplit(tracked.hook["url"])
    headers = {"Content-Type": ENVELOPE, "Authorization": f"Bearer {tracked.hook['token']}"}
    hooks, health = KeepAlive(tracked.hook["url"]), KeepAlive(tracked.platform.web_url)
    before = len(tracked.releases())

    def notify(i: int) -> float:
        other = i % OTHER_TAG_EVERY == OTHER_TAG_EVERY - 1
        event_digest, tag = ("sha256:" + secrets.token_hex(32), OTHER_TAG) if other else (digest, "latest")
        body = json.dumps(envelope(tracked, event_digest, datetime.now(timezone.utc), tag)).encode()
        took, status, answer = hooks.timed("POST", hook.path, body, headers)
        expected = {NOT_TRACKED if other else REPLAYED: 1}
        parsed = json.loads(answer) if status == 202 else answer
        if status != 202 or (parsed["accepted"], parsed["ignored_because"]) != (0, expected):
            raise BenchFailed(f"notification {i} answered {status}: {parsed}; expected 0 accepted, {expected}")
        return took

    def healthz() -> float:
        took, status, answer = health.timed("GET", "/healthz")
        if status != 200:
            raise BenchFailed(f"GET /healthz answered {status}: {answer[:200]!r}")
        return took

    try:
        for i in range(5):  # warm: connections open, code paths hot
            notify(i)
            healthz()
        hook_times, floor_times = [], []
        for i in range(count):
            # Alternate which goes first so drift in machine load hits both alike.
            if i % 2:
                hook_times.append(notify(i))
                floor_times.append(healthz())
            else:
                floor_times.append(healthz())
                hook_times.append(notify(i))
    finally:
        hooks.close()
        health.close()
    if len(tracked.releases()) != before:
        raise BenchFailed(f"ignored notifications made releases: {before} before, {len(tracked.releases())} after")
    return hook_times, floor_times, hooks.reconnects + health.reconnects


def print_answer_times(hook_times: list[float], floor_times: list[float], reconnects: int) -> float:
    hook_p50, floor_p50 = statistics.median(hook_times) * 1000, statistics.median(floor_times) * 1000
    hook_p99, floor_p99 = percentile(hook_times, 0.99) * 1000, percentile(floor_times, 0.99) * 1000
    print(f"\nwebhook answer time, {len(hook_times)} ignored notifications "
          f"({sum(1 for i in range(len(hook_times)) if i % OTHER_TAG_EVERY == OTHER_TAG_EVERY - 1)} for another tag, "
          f"the rest replays), keep-alive:")
    print(f"  {'POST /hooks/registry/ID':<24} p50 {hook_p50:6.2f} ms   p99 {hook_p99:6.2f} ms")
    print(f"  {'floor: GET /healthz':<24} p50 {floor_p50:6.2f} ms   p99 {floor_p99:6.2f} ms")
    print(f"  p50 ratio: {hook_p50 / floor_p50:.2f}" + (f"   ({reconnects} reconnects)" if reconnects else ""))
    return hook_p50 / floor_p50


def run(runs: int, notifications: int, tmp: Path) -> tuple[list[float], list[float], list[float], list[float], int]:
    if not registry_available():
        raise BenchFailed("docker-registry is not installed: apt-get install docker-registry (make test does)")
    bench_id = uuid.uuid4().hex[:8]
    label = f"io.paas.bench={bench_id}"
    ensure_base_image()  # what the pushed images are built FROM (static_site's base)
    platform = start_platform(tmp)
    registry_dir = tmp / "registry"
    registry_dir.mkdir()
    try:
        with tracked_registry(platform, registry_dir) as tracked:
            try:
                print(f"platform instance {platform.instance}, app {tracked.app} tracking {tracked.repository}:latest; "
                      "warming up both...", flush=True)
                platform_round(tracked, f"warm-up of bench {bench_id} (push)\n", 1)
                floor_round(tracked, "floor-0", label, f"warm-up of bench {bench_id} (floor)\n")
                print(f"{'round':>5}  {'platform s':>10}  {'floor s':>8}", flush=True)
                platform_times, floor_times, digest = [], [], ""
                for i in range(1, runs + 1):
                    text, floor_text = (f"round {i} of bench {bench_id} ({how})\n" for how in ("push", "floor"))
                    # Alternate which goes first so drift in machine load hits both alike.
                    if i % 2:
                        took, digest = platform_round(tracked, text, i + 1)
                        floor = floor_round(tracked, f"floor-{i}", label, floor_text)
                    else:
                        floor = floor_round(tracked, f"floor-{i}", label, floor_text)
                        took, digest = platform_round(tracked, text, i + 1)
                    platform_times.append(took)
                    floor_times.append(floor)
                    print(f"{i:>5}  {took:>10.2f}  {floor:>8.2f}", flush=True)
                hook_times, health_times, reconnects = webhook_round(tracked, digest, notifications)
                return platform_times, floor_times, hook_times, health_times, reconnects
            except (BenchFailed, AssertionError):
                print_log_tails(platform)
                print_tail(registry_dir / "registry.log")
                raise
    finally:
        stop_platform(platform)
        cleanup_floor(label)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed push-to-live rounds (default 5)")
    parser.add_argument("--notifications", type=int, default=200, help="webhook notifications timed (default 200)")
    args = parser.parse_args()
    measured = run_in_temp_dir(lambda tmp: run(max(1, args.runs), max(1, args.notifications), tmp))
    if measured is None:
        return 1
    platform_times, floor_times, hook_times, health_times, reconnects = measured
    print_against_floor(
        "registry push to live", platform_times, floor_times, what_is="docker push until the router serves it",
        floor_is="docker pull REPO@DIGEST + docker run until it answers", aim=AIM,
    )
    ratio = print_answer_times(hook_times, health_times, reconnects)
    push, floor = statistics.median(platform_times), statistics.median(floor_times)
    print(f"\nsummary: registry push to live {push:.2f}s vs {floor:.2f}s by hand (ratio {push / floor:.2f}, "
          f"aim < {AIM:g} {'met' if push / floor < AIM else 'NOT met'}); webhook p50 "
          f"{statistics.median(hook_times) * 1000:.1f} ms, p99 {percentile(hook_times, 0.99) * 1000:.1f} ms "
          f"(/healthz p50 {statistics.median(health_times) * 1000:.1f} ms, ratio {ratio:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
