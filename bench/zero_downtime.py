"""Zero-downtime benchmark: do requests fail or slow down while an app is deployed and rolled back?

On a throwaway platform instance, a static app is deployed (and optionally scaled to several web
containers), then a few client threads send GET / through the router back to back, each on its
own keep-alive connection (reconnecting after an error), while the app goes through consecutive
changes alternating a deploy (git push of new content) and a rollback (POST releases
{"release": the previous live one}); each change is live, and served, before the next starts.
Load runs from 1s before the first change until 5s after the last (the last old containers are
stopped in that time). A request fails if it gets a non-200 answer or a connection error; the aim
is 0 failures. Prints requests sent and failed (each distinct failure with its count), p50/p99
latency of the successful requests, and each change's duration (a deploy: git push until it
returns, which is when the release is live; a rollback: POST until the release is live). It
reports, it does not assert: exit 0 either way, non-zero only if the platform itself fails (a
rejected push, a failed release, a change never served...).

Run from the repo root (needs Docker, Redis and nginx, like the end-to-end tests):
    make bench-zero-downtime
    (or: .venv/bin/python bench/zero_downtime.py [--changes N] [--threads N] [--web N])
"""
import argparse
import http.client
import re
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BenchFailed, print_log_tails, print_router_trouble, run_in_temp_dir, wait_live as _wait_live,
)
from tests.support import (  # noqa: E402
    Platform, SourceTree, ensure_base_image, nat_rules, start_platform, static_site, stop_platform,
)

REQUEST_TIMEOUT = 10.0  # seconds before a request counts as failed
ERROR_PAUSE = 0.01  # seconds a client waits after a failed request, so a dead router is not a busy loop
LEAD_IN = 1.0  # seconds of load before the first change
TAIL = 5.0  # seconds of load after the last change (drain + stop of the last old containers)
POLL = 0.05  # seconds between release status checks
TIMEOUT = 120.0  # give up on a change (or a scale) after this long


@dataclass
class Change:
    kind: str  # "deploy" or "rollback to vN"
    version: int
    seconds: float


class Load:
    """Client threads sending GET / back to back, each on its own keep-alive connection.

    Every request is recorded as (phase, latency in seconds or None if it failed, failure kind);
    the phase is whatever the main thread set when the request started: 0 before the first
    change, i during change i, changes + 1 after the last.
    """

    def __init__(self, port: int, host: str, threads: int) -> None:
        self.port, self.host, self.phase = port, host, 0
        self.stopping = threading.Event()
        self.records: list[list[tuple[int, float | None, str | None]]] = [[] for _ in range(threads)]
        self.threads = [threading.Thread(target=self._client, args=(r,), daemon=True) for r in self.records]

    def __enter__(self) -> "Load":
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()
        self.seconds = time.monotonic() - self.started

    def _client(self, records: list) -> None:
        connection = None
        while not self.stopping.is_set():
            phase = self.phase
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            started = time.perf_counter()
            try:
                connection.request("GET", "/", headers={"Host": self.host})
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                records.append((phase, None, f"{type(error).__name__}: {error}"))
                connection.close()
                connection = None
                time.sleep(ERROR_PAUSE)
                continue
            took = time.perf_counter() - started
            records.append((phase, None, f"HTTP {response.status}") if response.status != 200 else (phase, took, None))
        if connection is not None:
            connection.close()

    def all_records(self) -> list[tuple[int, float | None, str | None]]:
        return [record for records in self.records for record in records]


def wait_until(what: str, predicate, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            raise BenchFailed(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(POLL)
    return result


def wait_live(platform: Platform, app: str, version: int) -> None:
    _wait_live(platform, app, version, timeout=TIMEOUT, poll=POLL)


def latest_version(platform: Platform, app: str) -> int:
    status, releases = platform.api("GET", f"/api/apps/{app}/releases")
    if status != 200 or not releases:
        raise BenchFailed(f"GET releases answered {status}: {releases}")
    return releases[0]["version"]


def deploy(platform: Platform, app: str, source: SourceTree, text: str) -> int:
    """git push new content; the push returns once the release is live. Returns its version."""
    source.write({"index.html": text}).commit(text)
    push = source.push(platform.git_url(app))
    if push.returncode != 0:
        raise BenchFailed(f"git push was rejected:\n{push.output}")
    version = latest_version(platform, app)
    wait_live(platform, app, version)
    return version


def rollback(platform: Platform, app: str, target: int) -> int:
    """POST a rollback to release `target` and wait until the new release is live. Returns its version."""
    status, body = platform.api("POST", f"/api/apps/{app}/releases", {"release": target})
    if status != 201:
        raise BenchFailed(f"rollback to v{target} answered {status}: {body}")
    wait_live(platform, app, body["version"])
    return body["version"]


def check_served(platform: Platform, app: str, text: str, version: int) -> None:
    status, body = platform.get(app)
    if (status, body) != (200, text):
        raise BenchFailed(f"v{version} is live but the router answered {status} {body!r}, not {text!r}")


def routed_containers(app: str) -> int:
    """How many containers the kernel's DNAT rules spread the app's endpoint over."""
    rules = nat_rules()
    jump = re.search(rf'--comment "paas app {re.escape(app)}" -j (\S+)', rules)
    if jump is None:
        return 0
    return sum(1 for line in rules.splitlines() if line.startswith(f"-A {jump[1]} ") and "-j DNAT" in line)


def scale_web(platform: Platform, app: str, quantity: int) -> None:
    """Scale web; wait until that many containers run and the router spreads traffic over them all."""
    status, body = platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "web", "quantity": quantity}])
    if status != 200:
        raise BenchFailed(f"scaling web to {quantity} answered {status}: {body}")
    wait_until(f"{quantity} web containers", lambda: len(platform.containers(app, process_type="web")) == quantity)
    wait_until(f"the router to route to {quantity} web containers", lambda: routed_containers(app) == quantity)


def run_changes(
    platform: Platform, app: str, source: SourceTree, load: Load, changes: int, bench_id: str
) -> list[Change]:
    """Alternate deploys and rollbacks to the previous live release, each live before the next."""
    history = [(latest_version(platform, app), source.path.joinpath("index.html").read_text())]
    done = []
    print(f"{'change':>6}  {'kind':<16}  {'release':>7}  {'seconds':>7}", flush=True)
    for i in range(1, changes + 1):
        load.phase = i
        started = time.monotonic()
        if i % 2:
            text, kind = f"change {i} of bench {bench_id}\n", "deploy"
            version = deploy(platform, app, source, text)
        else:
            target, text = history[-2]
            kind = f"rollback to v{target}"
            version = rollback(platform, app, target)
        took = time.monotonic() - started
        check_served(platform, app, text, version)
        history.append((version, text))
        done.append(Change(kind, version, took))
        print(f"{i:>6}  {kind:<16}  {'v' + str(version):>7}  {took:>7.2f}", flush=True)
    return done


def run(changes: int, threads: int, web: int, tmp: Path) -> tuple[list[Change], Load]:
    bench_id = uuid.uuid4().hex[:8]
    base = ensure_base_image()
    platform = start_platform(tmp)
    try:
        app = platform.new_app()
        print(f"platform instance {platform.instance} (var dir {platform.var_dir}), app {app}", flush=True)
        source = SourceTree(tmp / "src").write(static_site(f"initial of bench {bench_id}\n", base))
        deploy(platform, app, source, f"initial of bench {bench_id}\n")
        if web != 1:
            scale_web(platform, app, web)
        print(f"{web} web container(s); {threads} client threads, each on its own keep-alive connection", flush=True)
        with Load(platform.router_port, f"{app}.localhost", threads) as load:
            time.sleep(LEAD_IN)
            done = run_changes(platform, app, source, load, changes, bench_id)
            load.phase = changes + 1
            time.sleep(TAIL)
        if any(took is None for _, took, _ in load.all_records()):
            print_router_trouble(platform)
        return done, load
    except (BenchFailed, AssertionError):
        print_log_tails(platform)
        raise
    finally:
        stop_platform(platform)


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1] if len(values) > 1 else values[0]


def report(done: list[Change], load: Load) -> None:
    records = load.all_records()
    latencies = [took for _, took, _ in records if took is not None]
    failures = Counter(kind for _, took, kind in records if took is None)
    failed_in = Counter(phase for phase, took, _ in records if took is None)
    print(f"\nrequests sent:   {len(records)} in {load.seconds:.1f}s ({len(records) / load.seconds:.0f}/s)"
          f", from {LEAD_IN:g}s before the first change to {TAIL:g}s after the last")
    print(f"requests failed: {sum(failures.values())}  aim 0: {'met' if not failures else 'NOT met'}")
    for kind, count in failures.most_common():
        print(f"  {count:>6} x {kind}")
    if failures:
        phases = ", ".join(
            f"{'before' if p == 0 else 'after' if p > len(done) else f'change {p} ({done[p - 1].kind})'}: {n}"
            for p, n in sorted(failed_in.items())
        )
        print(f"  failed during: {phases}")
    if latencies:
        print(f"latency p50:     {percentile(latencies, 50) * 1000:.1f} ms")
        print(f"latency p99:     {percentile(latencies, 99) * 1000:.1f} ms (of the successful requests)")
    print(f"change seconds:  {' '.join(f'{c.seconds:.2f}' for c in done)}")
    for kind in ("deploy", "rollback"):
        times = [c.seconds for c in done if c.kind.startswith(kind)]
        if times:
            print(f"  median {kind + ':':<9} {statistics.median(times):.2f}s over {len(times)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10, help="deploys + rollbacks, alternating (default 10)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--web", type=int, default=1, help="web containers (default 1)")
    args = parser.parse_args()
    measured = run_in_temp_dir(lambda tmp: run(max(1, args.changes), max(1, args.threads), max(1, args.web), tmp))
    if measured is None:
        return 1
    report(*measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
