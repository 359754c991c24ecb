"""HTTPS benchmark: what does TLS through the router cost, and how long from adding a domain to
its first HTTPS answer?

On a throwaway platform instance whose certificates come from a Pebble started for it (as in
tests/e2e/test_custom_domains.py), a static app (busybox httpd, the local base image) gets the
domain `bench.example.test` and its certificate. Then, interleaved round by round, the same
client (CLIENTS threads, each one keep-alive connection, GET / as fast as answered, for
ROUND_SECONDS) measures:

- HTTPS through the router (TLS 1.3 with SNI, verified against Pebble's root);
- plain HTTP through the router (the same app by its default name);
- the floor: plain HTTP straight to the web container's published port on 127.0.0.1;
- and HTTPS through the router with a new connection (a full TLS handshake) per request.

It prints requests per second and p50/p99 latency of each, and their ratio against the floor.
Then it times, ISSUANCES times, `POST /api/apps/APP/domains` of a new name until the first
HTTPS answer for it through the router (Pebble validates at once: PEBBLE_VA_NOSLEEP), and
prints the median and each. It reports, it does not assert: exit 0 either way, non-zero only
if the platform itself fails.

Run from the repo root (needs Docker, Redis, nginx and pebble, like the end-to-end tests):
    make bench-tls    (or: .venv/bin/python bench/tls.py [--seconds S] [--rounds N] [--issuances N])
"""
import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BenchFailed, docker, percentile, print_log_tails, run_in_temp_dir  # noqa: E402
from tests.pebble import Pebble  # noqa: E402
from tests.support import (  # noqa: E402
    Platform, SourceTree, ensure_base_image, free_port, start_platform, static_site, stop_platform,
)
from tests.tls import ResolvedHTTPSConnection  # noqa: E402

CLIENTS = 4
TEXT = "tls bench\n"
DOMAIN = "bench.example.test"
PLATFORM_ENV = {"PAAS_REDIS_DB": "10"}


def measure(connect, headers: dict, seconds: float, *, reuse: bool = True) -> tuple[int, list[float], int]:
    """CLIENTS threads GETting for `seconds`: (answers, latencies in seconds, failures)."""
    latencies, failures, lock = [], [0], threading.Lock()
    stop_at = time.monotonic() + seconds

    def client():
        conn, mine, failed = None, [], 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                conn = conn if (conn is not None and reuse) else connect()
                conn.request("GET", "/", headers=headers)
                response = conn.getresponse()
                ok = response.status == 200 and response.read().decode() == TEXT
                mine.append(time.perf_counter() - started) if ok else None
                failed += not ok
            except (OSError, http.client.HTTPException):
                conn, failed = None, failed + 1
            if not reuse and conn is not None:
                conn.close()
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), latencies, failures[0]


def https_answers(platform: Platform, hostname: str, roots: Path) -> bool:
    conn = ResolvedHTTPSConnection(hostname, int(platform.env["PAAS_ROUTER_TLS_PORT"]), roots, timeout=2)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        return response.status == 200 and response.read().decode() == TEXT
    except OSError:
        return False
    finally:
        conn.close()


def time_to_https(platform: Platform, app: str, hostname: str, roots: Path, timeout: float = 120) -> float:
    started = time.monotonic()
    status, body = platform.api("POST", f"/api/apps/{app}/domains", {"hostname": hostname})
    if status != 201:
        raise BenchFailed(f"POST domains {hostname}: {status} {body}")
    while not https_answers(platform, hostname, roots):
        if time.monotonic() - started > timeout:
            raise BenchFailed(f"https://{hostname} did not answer within {timeout:g}s")
        time.sleep(0.02)
    return time.monotonic() - started


def published_port(platform: Platform, app: str) -> int:
    container = platform.containers(app, process_type="web")[0]
    ports = json.loads(docker("inspect", container))[0]["NetworkSettings"]["Ports"]
    return int(next(binding for bindings in ports.values() if bindings for binding in bindings)["HostPort"])


def run(seconds: float, rounds: int, issuances: int, tmp: Path) -> dict:
    ensure_base_image()
    tmp.chmod(0o711)  # nginx's workers (nobody) pass through to the challenge files under var/
    router_port = free_port()
    pebble = Pebble.start(tmp / "pebble", router_port)
    platform = None
    try:
        platform = start_platform(tmp, PAAS_ROUTER_PORT=str(router_port), PAAS_ACME_DIRECTORY=pebble.directory_url,
                                  PAAS_ACME_CA_BUNDLE=str(pebble.ca_bundle), **PLATFORM_ENV)
        roots = tmp / "roots.pem"
        roots.write_text(pebble.issuing_roots_pem())
        app = platform.new_app()
        source = SourceTree(tmp / "src")
        source.write(static_site(TEXT)).commit()
        push = source.push(platform.git_url(app))
        if push.returncode != 0:
            raise BenchFailed(f"push failed:\n{push.output}")
        first = time_to_https(platform, app, DOMAIN, roots)
        tls_port = int(platform.env["PAAS_ROUTER_TLS_PORT"])
        direct = published_port(platform, app)
        modes = {
            "https via router": (lambda: ResolvedHTTPSConnection(DOMAIN, tls_port, roots), {}, True),
            "http via router": (lambda: http.client.HTTPConnection("127.0.0.1", router_port, timeout=10),
                                {"Host": f"{app}.localhost"}, True),
            "direct (floor)": (lambda: http.client.HTTPConnection("127.0.0.1", direct, timeout=10), {}, True),
            "https, new connection each": (lambda: ResolvedHTTPSConnection(DOMAIN, tls_port, roots), {}, False),
        }
        results = {name: {"answers": 0, "latencies": [], "failures": 0, "seconds": 0.0} for name in modes}
        for round_number in range(rounds):
            for name, (connect, headers, reuse) in modes.items():
                answers, latencies, failures = measure(connect, headers, seconds, reuse=reuse)
                result = results[name]
                result["answers"] += answers
                result["latencies"] += latencies
                result["failures"] += failures
                result["seconds"] += seconds
            print(f"round {round_number + 1}/{rounds} done", flush=True)
        times = [first] + [time_to_https(platform, app, f"bench{i}.example.test", roots) for i in range(1, issuances)]
        return {"modes": results, "issuance": times}
    except BenchFailed:
        if platform is not None:
            print_log_tails(platform)
        raise
    finally:
        if platform is not None:
            stop_platform(platform)
        pebble.stop()


def report(result: dict) -> None:
    floor = result["modes"]["direct (floor)"]
    floor_rps = floor["answers"] / floor["seconds"]
    floor_p50 = percentile(floor["latencies"], 0.5)
    print(f"\n{CLIENTS} keep-alive clients (one connection each) unless said otherwise\n")
    print(f"{'':28}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}{'rps/floor':>11}{'p50/floor':>11}")
    for name, data in result["modes"].items():
        rps = data["answers"] / data["seconds"]
        p50, p99 = percentile(data["latencies"], 0.5), percentile(data["latencies"], 0.99)
        print(f"{name:28}{rps:9.0f}{p50 * 1000:9.2f}{p99 * 1000:9.2f}{data['failures']:8d}"
              f"{rps / floor_rps:11.2f}{p50 / floor_p50:11.2f}")
    times = result["issuance"]
    print(f"\nPOST domains -> first HTTPS answer (Pebble): median {statistics.median(times):.2f}s, "
          f"each: {', '.join(f'{t:.2f}s' for t in times)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="seconds per mode per round (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--issuances", type=int, default=5, help="domains added and timed (default 5)")
    args = parser.parse_args()
    result = run_in_temp_dir(lambda tmp: run(args.seconds, max(1, args.rounds), max(1, args.issuances), tmp))
    if result is None:
        return 1
    report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
