"""Cold-start benchmark: how long does the first request after an app has slept wait for its answer?

On a throwaway platform instance, a static app (busybox httpd, the local base image) gets the
rule {"min": 0, "max": 2, "idle_seconds": 1}, so it sleeps after a second without requests: its
web container is stopped (`docker stop`) and kept, and the router sends its connections to the
activator. Each round waits until the app says "sleeping" (and no web container runs), then
sends one GET through the router on a new connection and times it until its answer: the
activator holds it, starts the same container again (`docker start`), health-checks it and
passes the request on. Some rounds send 4 concurrent GETs instead and count that all 4 got a
200 (their time is the slowest of the 4, kept out of the medians).

The floor, measured in the same run and interleaved round by round: `docker start` of a stopped
container of the same image (created once, with the platform container's memory, CPU, pids and
capability limits, its port published on 127.0.0.1 as the platform's are), polled every 5 ms
until it answers the same page; it is stopped again afterwards, untimed.

For comparison (the stop-vs-pause choice of scale to zero): `docker unpause` of a paused
container of the same image until it answers, and the paused container's memory (docker stats,
and the cgroup's own counter), beside the stopped one's (no process: nothing).

Prints a table per round, median and p90 of both, their ratio (aim: median <= 1.5x the floor),
failed requests (aim 0) and the 4-concurrent rounds' count of 200s. It reports, it does not
assert: exit 0 either way, non-zero only if the platform itself fails (a rejected push, an app
that never sleeps...).

Run from the repo root (needs Docker, Redis and nginx, like the end-to-end tests):
    make bench-cold-start    (or: .venv/bin/python bench/cold_start.py [--wakes N] [--concurrent N])
"""
import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BenchFailed, cleanup_floor, docker, percentile, print_log_tails, print_router_trouble, run_in_temp_dir,
    wait_live,
)
from tests.support import (  # noqa: E402
    Platform, SourceTree, ensure_base_image, free_port, start_platform, static_site, stop_platform,
)

AIM = 1.5
IDLE_SECONDS = 1
CLIENTS = 4  # concurrent requests of a concurrent round
FLOOR_POLL = 0.005  # seconds between the floor's GETs
REQUEST_TIMEOUT = 30.0  # a held request waits for the whole wake
SLEEP_TIMEOUT = 60.0  # give up waiting for the app to sleep after this long
PAUSED_ROUNDS = 10
# The bench's platform environment: its own Redis database; the rest as the end-to-end tests'.
PLATFORM_ENV = {"PAAS_REDIS_DB": "10"}
SHOWN_SETTINGS = ("PAAS_REDIS_DB", "PAAS_AUTOSCALE_INTERVAL", "PAAS_CHECK_INTERVAL", "PAAS_CHECK_ATTEMPTS",
                  "PAAS_STOP_TIMEOUT")


def get(port: int, host: str | None = None, timeout: float = REQUEST_TIMEOUT) -> tuple[int, str]:
    """One GET / on a new connection: (status, body), or (0, the error) if it did not get an answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/", headers={"Host": host} if host else {})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as error:
        return 0, f"{type(error).__name__}: {error}"
    finally:
        connection.close()


def timed_get(port: int, host: str) -> tuple[float, int, str]:
    started = time.perf_counter()
    status, body = get(port, host)
    return time.perf_counter() - started, status, body


def asleep(platform: Platform, app: str) -> bool:
    status, body = platform.api("GET", f"/api/apps/{app}")
    return status == 200 and body["sleeping"] and not platform.containers(app, process_type="web")


def wait_asleep(platform: Platform, app: str) -> float:
    """Wait for the app to sleep; the seconds that took."""
    started = time.monotonic()
    while not asleep(platform, app):
        if time.monotonic() - started > SLEEP_TIMEOUT:
            raise BenchFailed(f"{app} did not sleep within {SLEEP_TIMEOUT:g}s (idle_seconds {IDLE_SECONDS})")
        time.sleep(0.05)
    return time.monotonic() - started


def platform_round(platform: Platform, app: str, text: str, clients: int) -> tuple[float, list[tuple[int, str]]]:
    """Seconds from sending `clients` GETs to a sleeping app until the slowest is answered, and the answers."""
    host = f"{app}.localhost"
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda _: timed_get(platform.router_port, host), range(clients)))
    answers = [(status, body) for _, status, body in results]
    return max(took for took, _, _ in results), answers


def answered(port: int, text: str, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while get(port, timeout=1.0) != (200, text):
        if time.monotonic() > deadline:
            raise BenchFailed(f"127.0.0.1:{port} did not answer {text!r} within {timeout:g}s")
        time.sleep(FLOOR_POLL)


def limits_of(container: str) -> list[str]:
    """`docker create` options giving a container the platform container's limits and profile."""
    host = json.loads(docker("inspect", container))[0]["HostConfig"]
    options = ["--memory", str(host["Memory"]), "--memory-swap", str(host["MemorySwap"]),
               "--security-opt", "no-new-privileges", "--cap-drop", "ALL"]
    if host.get("NanoCpus"):
        options += ["--cpus", f"{host['NanoCpus'] / 1e9:g}"]
    if host.get("PidsLimit"):
        options += ["--pids-limit", str(host["PidsLimit"])]
    if host.get("Init"):
        options.append("--init")
    return options + [f"--cap-add={cap}" for cap in host.get("CapAdd") or []]


def floor_container(image: str, label: str, limits: list[str], text: str) -> tuple[str, int]:
    """A container of the image, started once (so it is known to answer), then stopped: (id, port)."""
    port = free_port()
    container = docker("create", "--label", label, *limits, "-p", f"127.0.0.1:{port}:5000", "-e", "PORT=5000", image)
    docker("start", container)
    answered(port, text)
    docker("stop", "-t", "2", container)
    return container, port


def floor_round(container: str, port: int, text: str) -> float:
    """Seconds for `docker start` of the stopped container until it answers `text`; stopped again after."""
    started = time.perf_counter()
    docker("start", container)
    answered(port, text)
    took = time.perf_counter() - started
    docker("stop", "-t", "2", container)
    return took


def memory_of(container: str) -> tuple[str, int | None]:
    """What docker stats says the container uses, and its cgroup's own counter in bytes (v2 or v1)."""
    usage = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container)
    full = docker("inspect", "--format", "{{.Id}}", container)
    for path in (f"/sys/fs/cgroup/system.slice/docker-{full}.scope/memory.current",
                 f"/sys/fs/cgroup/docker/{full}/memory.current",
                 f"/sys/fs/cgroup/memory/docker/{full}/memory.usage_in_bytes",
                 f"/sys/fs/cgroup/memory/system.slice/docker-{full}.scope/memory.usage_in_bytes"):
        if Path(path).exists():
            return usage, int(Path(path).read_text())
    return usage, None


def paused_comparison(image: str, label: str, limits: list[str], text: str) -> tuple[list[float], str, int | None]:
    """Seconds for `docker unpause` until it answers, per round; the paused container's memory."""
    port = free_port()
    container = docker("create", "--label", label, *limits, "-p", f"127.0.0.1:{port}:5000", "-e", "PORT=5000", image)
    docker("start", container)
    answered(port, text)
    times, usage, current = [], "", None
    for _ in range(PAUSED_ROUNDS):
        docker("pause", container)
        usage, current = memory_of(container)
        started = time.perf_counter()
        docker("unpause", container)
        answered(port, text)
        times.append(time.perf_counter() - started)
    subprocess.run(["docker", "rm", "-f", container], capture_output=True)
    return times, usage, current


def woke_in(log: str, seen: int) -> tuple[float | None, int]:
    """The platform's own wake time ("Woke web.1 of v1 in 0.21s": start, checks, routing) of the
    newest wake, if one was logged since the `seen` before; and how many are logged now."""
    found = re.findall(r"Woke \S+ of v\d+ in ([\d.]+)s", log)
    return (float(found[-1]) if len(found) > seen else None), len(found)


def run(wakes: int, concurrent: int, tmp: Path) -> dict:
    bench_id = uuid.uuid4().hex[:8]
    label = f"io.paas.bench={bench_id}"
    base = ensure_base_image()
    platform = start_platform(tmp, **PLATFORM_ENV)
    try:
        app = platform.new_app()
        print(f"platform instance {platform.instance} (var dir {platform.var_dir}), app {app}", flush=True)
        print("platform settings: " + ", ".join(f"{name}={platform.env[name]}" for name in SHOWN_SETTINGS), flush=True)
        text = f"cold start bench {bench_id}\n"
        source = SourceTree(tmp / "src").write(static_site(text, base))
        source.commit()
        push = source.push(platform.git_url(app))
        if push.returncode != 0:
            raise BenchFailed(f"git push was rejected:\n{push.output}")
        image = wait_live(platform, app, 1, timeout=120, poll=0.1)["image"]
        limits = limits_of(platform.containers(app, process_type="web")[0])
        rule = {"min": 0, "max": 2, "concurrency": 10, "idle_seconds": IDLE_SECONDS}
        status, body = platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "web", "autoscale": rule}])
        if status != 200:
            raise BenchFailed(f"PATCH formation answered {status}: {body}")
        print(f"image {image}; rule {json.dumps(rule)}", flush=True)
        floor_id, floor_port = floor_container(image, label, limits, text)

        # Every 3rd round (from the 3rd) is a concurrent one, until `concurrent` of them are done.
        kinds, together = [], 0
        while len(kinds) - together < wakes or together < concurrent:
            if (len(kinds) + 1) % 3 == 0 and together < concurrent:
                kinds.append(CLIENTS)
                together += 1
            elif len(kinds) - together < wakes:
                kinds.append(1)
            else:
                kinds.append(CLIENTS)
                together += 1
        single, floors, slowest, all_answers, woken_seen, logged_single = [], [], [], [], 0, []
        print(f"\n{'round':>5}  {'requests':>8}  {'slept after s':>13}  {'wake s':>7}  {'platform wake s':>15}  "
              f"{'floor s':>7}  {'200s':>5}", flush=True)
        for i, clients in enumerate(kinds, 1):
            slept = wait_asleep(platform, app)
            if i % 2:
                took, answers = platform_round(platform, app, text, clients)
                floor = floor_round(floor_id, floor_port, text)
            else:
                # The floor first: the app sleeps on meanwhile, still asleep when its round starts.
                floor = floor_round(floor_id, floor_port, text)
                if not asleep(platform, app):
                    raise BenchFailed(f"{app} woke with no request")
                took, answers = platform_round(platform, app, text, clients)
            logged, woken_seen = woke_in(platform.log_text(app, lines=1000), woken_seen)
            oks = sum(answer == (200, text) for answer in answers)
            (single if clients == 1 else slowest).append(took)
            if clients == 1 and logged is not None:
                logged_single.append((took, logged))
            floors.append(floor)
            all_answers += answers
            shown = f"{logged:.2f}" if logged is not None else "?"
            print(f"{i:>5}  {clients:>8}  {slept:>13.2f}  {took:>7.3f}  {shown:>15}  {floor:>7.3f}  "
                  f"{oks:>2}/{clients}", flush=True)
        failures = [answer for answer in all_answers if answer != (200, text)]
        if failures:
            print_router_trouble(platform)
        print("\nfor comparison: docker pause / unpause of the same image...", flush=True)
        paused, usage, current = paused_comparison(image, label, limits, text)
        return {"logged": logged_single, "single": single, "floors": floors, "slowest": slowest, "failures": failures,
                "requests": len(all_answers), "paused": paused, "paused_usage": usage, "paused_current": current}
    except (BenchFailed, AssertionError):
        print_log_tails(platform)
        raise
    finally:
        stop_platform(platform)
        cleanup_floor(label)


def report(result: dict) -> None:
    single, floors = result["single"], result["floors"]
    median, floor = statistics.median(single), statistics.median(floors)
    ratio = median / floor
    print(f"\n{'':<34}{'median':>8}  {'p90':>8}  rounds")
    print(f"{'wake (first request until answer)':<34}{median:>7.3f}s  {percentile(single, 0.9):>7.3f}s  {len(single)}")
    print(f"{'floor (docker start until answer)':<34}{floor:>7.3f}s  {percentile(floors, 0.9):>7.3f}s  {len(floors)}")
    print(f"ratio (median wake / median floor): {ratio:.2f}  aim <= {AIM:g}: {'met' if ratio <= AIM else 'missed'}")
    if result["logged"]:
        platform_part = statistics.median(logged for _, logged in result["logged"])
        rest = statistics.median(took - logged for took, logged in result["logged"])
        print(f"  of a wake: the platform's own (docker start, health checks every 20 ms, routing; its log's "
              f"\"Woke ... in\") median {platform_part:.3f}s; the rest (router, activator, relay) median {rest:.3f}s")
    failures = result["failures"]
    print(f"failed requests: {len(failures)} of {result['requests']}  aim 0: {'met' if not failures else 'missed'}")
    for answer, count in sorted({a: failures.count(a) for a in failures}.items(), key=lambda item: -item[1]):
        print(f"  {count:>4} x {answer[0]} {answer[1][:100]!r}")
    if result["slowest"]:
        rounds = len(result["slowest"])
        print(f"{CLIENTS} concurrent requests on {rounds} wakes: slowest of the {CLIENTS} median "
              f"{statistics.median(result['slowest']):.3f}s (all {CLIENTS} got 200 unless counted as failed above)")
    paused = result["paused"]
    current = result["paused_current"]
    print(f"\nfor comparison (stop vs pause): docker unpause of a paused container until it answers: median "
          f"{statistics.median(paused) * 1000:.1f} ms, p90 {percentile(paused, 0.9) * 1000:.1f} ms over {len(paused)}")
    print(f"  a paused container's memory: docker stats {result['paused_usage']}"
          + (f", cgroup {current / 1024 / 1024:.2f} MiB" if current is not None else ", cgroup counter not found")
          + "; a stopped one's: none (no process)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wakes", type=int, default=12, help="single-request wakes (default 12)")
    parser.add_argument("--concurrent", type=int, default=4, help=f"wakes with {CLIENTS} concurrent requests (default 4)")
    args = parser.parse_args()
    result = run_in_temp_dir(lambda tmp: run(max(1, args.wakes), max(0, args.concurrent), tmp))
    if result is None:
        return 1
    report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
