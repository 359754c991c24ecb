"""Autoscale benchmark: a load step from 1 to 40 clients; how soon do the added containers serve?

On a throwaway platform instance, two apps of the same image: busybox httpd whose /cgi-bin/slow
takes about 50 ms a request (a CGI that sleeps 50 ms and answers with its container's hostname).
One gets the rule {"min": 1, "max": 4, "concurrency": 10}; the other, the floor, 4 web
containers set by hand (PATCH formation {"type": "web", "quantity": 4}: no autoscale rule).
Client threads send GET /cgi-bin/slow through the router (127.0.0.1, Host APP.localhost) back to
back, each on its own keep-alive connection.

Each round: the autoscaled app at 1 container gets 1 client for 5 s, then the step to 40. Each
answer names the container that served it, so the bench sees when each added container serves
its first request. The platform (formation API, docker ps, the router's iptables rules) is
looked at every 0.25 s until 4 containers serve; then the load runs 2 + 15 s unwatched (those
looks take CPU the containers share), the plateau. Beside it, in the same round (order
alternating), the same 40 clients for 2 + 15 s against the app set by hand. Between rounds the
autoscaled app is set back to 1 by hand and given its rule again.

Per round: a table per second after the step (requests answered, p95, those over 1 s,
containers seen serving, running, routed, the formation's quantity), the app's platform log
lines (scaling decisions, starts, checks), the seconds until the autoscaler's first change, quantity 4, 4 running, 4
routed, 4 serving (a request answered by each) and until a second's throughput reaches 90% of
the rate by hand; throughput and p50/p95 at 1 client, after the step while 1 container served
("before scaling"), on the plateau ("after scaling") and by hand. Then the medians over the
rounds, the throughput ratio autoscaled / by hand (aim >= 0.9) and failed requests (aim 0).

The platform runs with the product's autoscale defaults (PAAS_AUTOSCALE_UP_SECONDS 3,
PAAS_AUTOSCALE_DOWN_SECONDS 30, PAAS_AUTOSCALE_INTERVAL 1), printed at the start. It reports,
it does not assert: exit 0 either way, non-zero only if the platform itself fails.

Run from the repo root (needs Docker, Redis and nginx, like the end-to-end tests):
    make bench-autoscale    (or: .venv/bin/python bench/autoscale.py [--rounds N] [--clients N] [--plateau S])
"""
import argparse
import http.client
import json
import re
import statistics
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BenchFailed, percentile, print_log_tails, print_router_trouble, run_in_temp_dir, wait_live,
)
from bench.zero_downtime import routed_containers  # noqa: E402
from tests.support import BASE_IMAGE, Platform, SourceTree, ensure_base_image, start_platform, stop_platform  # noqa: E402

MAX = 4
RULE = {"min": 1, "max": MAX, "concurrency": 10}
SLOW_CGI = '#!/bin/sh\nusleep 50000\nprintf "Content-Type: text/plain\\r\\n\\r\\nslow %s\\n" "$HOSTNAME"\n'
PATH = "/cgi-bin/slow"
LEAD_IN = 5.0  # seconds at 1 client before the step
SERVE_TIMEOUT = 90.0  # give up waiting for the added containers to serve after this long
SETTLE = 2.0  # seconds after the watching ends (or the load by hand starts) before the plateau counts
REQUEST_TIMEOUT = 10.0
ERROR_PAUSE = 0.01
POLL = 0.25  # seconds between looks at the platform (formation API, docker ps, iptables) after the step
PLATEAU_SHARE = 0.9
MARKS = ("first change", f"quantity {MAX}", f"{MAX} running", f"{MAX} routed", f"{MAX} serving")
THROUGHPUT_AIM = 0.9
# The bench's platform environment: its own Redis database and the product's autoscale defaults.
PLATFORM_ENV = {"PAAS_REDIS_DB": "10", "PAAS_AUTOSCALE_UP_SECONDS": "3", "PAAS_AUTOSCALE_DOWN_SECONDS": "30",
                "PAAS_AUTOSCALE_INTERVAL": "1"}


class Clients:
    """Client threads on keep-alive connections; each request is recorded as (started, ended,
    latency or None if it failed, the serving container's hostname or the failure)."""

    def __init__(self, port: int, host: str) -> None:
        self.port, self.host = port, host
        self.stopping = threading.Event()
        self.records: list[list[tuple[float, float, float | None, str]]] = []
        self.threads: list[threading.Thread] = []
        self.first_seen: dict[str, float] = {}  # container hostname -> when it first answered

    def add(self, count: int) -> None:
        for _ in range(count):
            records: list = []
            self.records.append(records)
            thread = threading.Thread(target=self._client, args=(records,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def _client(self, records: list) -> None:
        connection = None
        while not self.stopping.is_set():
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            started = time.monotonic()
            try:
                connection.request("GET", PATH, headers={"Host": self.host})
                response = connection.getresponse()
                body = response.read().decode(errors="replace")
            except (OSError, http.client.HTTPException) as error:
                records.append((started, time.monotonic(), None, f"{type(error).__name__}: {error}"))
                connection.close()
                connection = None
                time.sleep(ERROR_PAUSE)
                continue
            ended = time.monotonic()
            if response.status != 200 or not body.startswith("slow "):
                records.append((started, ended, None, f"HTTP {response.status} {body[:60]!r}"))
                continue
            served_by = body.split()[1]
            self.first_seen.setdefault(served_by, ended)
            records.append((started, ended, ended - started, served_by))
        if connection is not None:
            connection.close()

    def all_records(self) -> list[tuple[float, float, float | None, str]]:
        return [record for records in self.records for record in records]


def slow_app(platform: Platform, tmp: Path) -> str:
    app = platform.new_app()
    source = SourceTree(tmp / "src").write({
        "Dockerfile": f"FROM {BASE_IMAGE}\nCOPY www /www\nRUN chmod +x /www/cgi-bin/slow\nCMD exec httpd -f -p $PORT -h /www\n",
        "www/index.html": "ok\n",
        "www/cgi-bin/slow": SLOW_CGI,
    })
    source.commit()
    push = source.push(platform.git_url(app))
    if push.returncode != 0:
        raise BenchFailed(f"git push was rejected:\n{push.output}")
    wait_live(platform, app, 1, timeout=120, poll=0.1)
    return app


def patch_web(platform: Platform, app: str, item: dict) -> None:
    status, body = platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "web", **item}])
    if status != 200:
        raise BenchFailed(f"PATCH formation {item} answered {status}: {body}")


def web_quantity(platform: Platform, app: str) -> int:
    status, body = platform.api("GET", f"/api/apps/{app}/formation")
    if status != 200:
        raise BenchFailed(f"GET formation answered {status}: {body}")
    return next(row for row in body if row["type"] == "web")["quantity"]


def wait_until(what: str, predicate, timeout: float = SERVE_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise BenchFailed(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(POLL)



def set_by_hand(platform: Platform, app: str, quantity: int) -> None:
    """PATCH a web quantity (autoscaling off); wait until that many containers run and are routed."""
    patch_web(platform, app, {"quantity": quantity})
    wait_until(f"{quantity} web containers", lambda: len(platform.containers(app, process_type="web")) == quantity)
    wait_until(f"the router to route to {quantity}", lambda: routed_containers(app) == quantity)


def platform_lines(platform: Platform, app: str) -> list[tuple[float, str]]:
    """The app's platform log lines (scaling decisions, starts, checks) as (epoch seconds, text)."""
    request = urllib.request.Request(f"{platform.web_url}/api/apps/{app}/log-stream?lines=10000&source=platform",
                                     headers={"Authorization": f"Bearer {platform.admin_token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
    return [(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp(), line)
            for stamp, line in re.findall(r"^(\S+Z) platform: (.*)$", text, re.MULTILINE)]


def step(platform: Platform, app: str, clients: int, plateau: float) -> dict:
    """1 client, then the step to `clients`; watch the platform until 4 containers serve, then a plateau."""
    load = Clients(platform.router_port, f"{app}.localhost")
    load.add(1)
    time.sleep(LEAD_IN)
    first = set(load.first_seen)
    if len(first) != 1 or web_quantity(platform, app) != 1:
        raise BenchFailed(f"before the step {len(first)} containers served (quantity {web_quantity(platform, app)}), not 1")
    step_at, step_wall = time.monotonic(), time.time()
    load.add(clients - 1)
    marks: dict[str, float] = {}
    samples = []  # (seconds since the step, quantity, running, routed)
    try:
        # The looks cost CPU the containers share: once every mark is in, the plateau runs unwatched.
        while not all(mark in marks for mark in MARKS):
            now = time.monotonic()
            if now - step_at > SERVE_TIMEOUT:
                raise BenchFailed(f"not all of {MARKS} within {SERVE_TIMEOUT:g}s (marks {marks})")
            quantity = web_quantity(platform, app)
            running = len(platform.containers(app, process_type="web"))
            routed = routed_containers(app)
            samples.append((now - step_at, quantity, running, routed))
            for mark, reached in zip(MARKS, (quantity > 1, quantity >= MAX, running >= MAX, routed >= MAX)):
                if reached:
                    marks.setdefault(mark, now - step_at)
            served = sorted(at for host, at in load.first_seen.items() if host not in first)
            if len(served) >= MAX - 1:
                marks.setdefault(MARKS[-1], served[MAX - 2] - step_at)
            time.sleep(max(0.0, POLL - (time.monotonic() - now)))
        watched_until = time.monotonic()
        # Now, before the plateau's router lines push them out of the stream's last 10,000.
        lines = [(at - step_wall, text) for at, text in platform_lines(platform, app)
                 if -1 <= at - step_wall <= watched_until - step_at]
        time.sleep(max(0.0, SETTLE + plateau - (time.monotonic() - watched_until)))
    finally:
        load.stop()
    added = sorted(at for host, at in load.first_seen.items() if host not in first)
    return {"records": load.all_records(), "step_at": step_at, "marks": marks, "samples": samples, "lines": lines,
            "watched_until": watched_until, "end": time.monotonic(), "second_served": added[0] if added else None}


def by_hand(platform: Platform, app: str, clients: int, seconds: float) -> dict:
    """The same clients against an app with 4 web containers set by hand, for SETTLE + `seconds`."""
    if web_quantity(platform, app) != MAX or routed_containers(app) != MAX:
        raise BenchFailed(f"the app set by hand does not have {MAX} routed web containers")
    load = Clients(platform.router_port, f"{app}.localhost")
    started = time.monotonic()
    load.add(clients)
    time.sleep(SETTLE + seconds)
    load.stop()
    return {"records": load.all_records(), "from": started + SETTLE, "to": time.monotonic()}


def window(records, start: float, end: float) -> tuple[float, list[float]]:
    """Requests answered per second in [start, end) and their latencies (of the successful ones)."""
    latencies = [r[2] for r in records if start <= r[1] < end and r[2] is not None]
    return (len(latencies) / (end - start) if end > start else float("nan")), latencies


def ms(latencies: list[float], q: float) -> str:
    return f"{percentile(latencies, q) * 1000:.0f} ms" if latencies else "-"


def figures(step_result: dict, hand: dict) -> dict:
    records, step_at, marks = step_result["records"], step_result["step_at"], step_result["marks"]
    hand_rate, hand_latencies = window(hand["records"], hand["from"], hand["to"])
    auto_rate, after = window(records, step_result["watched_until"] + SETTLE, step_result["end"])
    single_until = step_result["second_served"] or step_result["end"]
    before = [r[2] for r in records if r[0] >= step_at and r[1] < single_until and r[2] is not None]
    # The plateau reached: the end of the first whole second after the step answering 90% of the rate by hand.
    plateau = next((s + 1 for s in range(int(step_result["end"] - step_at))
                    if window(records, step_at + s, step_at + s + 1)[0] >= PLATEAU_SHARE * hand_rate), None)
    lead_rate, lead = window(records, step_at - LEAD_IN + 1, step_at)
    failed = [r[3] for r in records if r[2] is None], [r[3] for r in hand["records"] if r[2] is None]
    return {"marks": marks, "plateau": plateau, "lead_rate": lead_rate, "lead": lead, "before": before,
            "before_rate": len(before) / (single_until - step_at), "single_seconds": single_until - step_at,
            "auto_rate": auto_rate, "after": after, "hand_rate": hand_rate, "hand": hand_latencies,
            "failed": failed, "sent": len(records) + len(hand["records"])}


def print_round(number: int, clients: int, step_result: dict, found: dict) -> None:
    """The round's seconds after the step while the platform was watched, its log lines, its figures."""
    records, step_at = step_result["records"], step_result["step_at"]
    print(f"\nround {number}: seconds since the step (from 1 to {clients} clients)")
    print(f"{'second':>6}  {'answered':>8}  {'p95':>7}  {'> 1 s':>5}  {'serving':>7}  {'running':>7}  {'routed':>6}  "
          f"{'quantity':>8}")
    for second in range(-2, int(step_result["watched_until"] - step_at) + 1):
        inside = [r for r in records if step_at + second <= r[1] < step_at + second + 1 and r[2] is not None]
        sample = next((s for s in step_result["samples"] if s[0] >= second), None) if second >= 0 else None
        seen = f"{sample[2]:>7}  {sample[3]:>6}  {sample[1]:>8}" if sample else f"{'':>7}  {'':>6}  {'':>8}"
        slow = sum(r[2] > 1 for r in inside)
        print(f"{second:>6}  {len(inside):>8}  {ms([r[2] for r in inside], 0.95):>7}  {slow:>5}  "
              f"{len({r[3] for r in inside}):>7}  {seen}")
    print("platform log lines (seconds since the step):")
    for at, text in step_result["lines"]:
        print(f"  {at:>6.2f}  {text}")
    marks = found["marks"]
    print("seconds from the step until: " + ", ".join(f"{mark} {marks[mark]:.2f}" for mark in MARKS)
          + f", throughput at {PLATEAU_SHARE:.0%} of by hand {found['plateau'] if found['plateau'] else 'never'}")
    print(f"{'':<44}{'req/s':>7}  {'p50':>7}  {'p95':>7}  {'> 1 s':>5}  requests")
    rows = (("1 client, 1 container (before the step)", found["lead_rate"], found["lead"]),
            (f"after the step, 1 container ({found['single_seconds']:.1f}s)", found["before_rate"], found["before"]),
            (f"{MAX} autoscaled containers (plateau)", found["auto_rate"], found["after"]),
            (f"{MAX} containers set by hand (other app)", found["hand_rate"], found["hand"]))
    for label, rate, latencies in rows:
        print(f"{label:<44}{rate:>7.0f}  {ms(latencies, 0.5):>7}  {ms(latencies, 0.95):>7}  "
              f"{sum(took > 1 for took in latencies):>5}  {len(latencies)}")
    print(f"failed requests: {len(found['failed'][0])} autoscaled, {len(found['failed'][1])} by hand", flush=True)


def report(rounds: list[dict], clients: int) -> None:
    def median(values) -> float:
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else float("nan")

    print(f"\nload step from 1 to {clients} clients, rule {json.dumps(RULE)}, {len(rounds)} rounds (medians)")
    print("seconds from the step until:")
    for mark in MARKS:
        print(f"  {mark:<30}{median(r['marks'].get(mark) for r in rounds):>6.2f}s   "
              + " ".join(f"{r['marks'][mark]:.2f}" if mark in r["marks"] else "-" for r in rounds))
    print(f"  {f'throughput at {PLATEAU_SHARE:.0%} of by hand':<30}{median(r['plateau'] for r in rounds):>6.0f}s   "
          + " ".join(str(r["plateau"]) for r in rounds))
    print(f"p95 latency before scaling (1 container): {median(percentile(r['before'], 0.95) for r in rounds) * 1000:.0f} ms"
          f"; after ({MAX} autoscaled): {median(percentile(r['after'], 0.95) for r in rounds) * 1000:.0f} ms"
          f"; {MAX} by hand: {median(percentile(r['hand'], 0.95) for r in rounds) * 1000:.0f} ms")
    auto, hand = median(r["auto_rate"] for r in rounds), median(r["hand_rate"] for r in rounds)
    print(f"throughput: {MAX} autoscaled {auto:.0f} req/s, {MAX} set by hand {hand:.0f} req/s, "
          f"ratio {auto / hand:.2f}  aim >= {THROUGHPUT_AIM:g}: {'met' if auto / hand >= THROUGHPUT_AIM else 'missed'}")
    failures = Counter(kind for r in rounds for kinds in r["failed"] for kind in kinds)
    sent = sum(r["sent"] for r in rounds)
    print(f"failed requests: {sum(failures.values())} of {sent}  aim 0: {'met' if not failures else 'missed'}")
    for kind, count in failures.most_common():
        print(f"  {count:>6} x {kind}")


def run(rounds: int, clients: int, plateau: float, tmp: Path) -> list[dict]:
    ensure_base_image()
    platform = start_platform(tmp, **PLATFORM_ENV)
    try:
        scaled, fixed = slow_app(platform, tmp / "scaled"), slow_app(platform, tmp / "fixed")
        print(f"platform instance {platform.instance} (var dir {platform.var_dir}); app {scaled} autoscaled, "
              f"app {fixed} with {MAX} web containers set by hand (the same image)", flush=True)
        print("platform settings: " + ", ".join(f"{name}={value}" for name, value in PLATFORM_ENV.items()), flush=True)
        set_by_hand(platform, fixed, MAX)
        found, troubled = [], False
        for number in range(1, rounds + 1):
            if number > 1:
                # Back to one container, then the rule again once the last round's load has left
                # the autoscaler's up window (it would count it against the one container).
                set_by_hand(platform, scaled, 1)
                time.sleep(float(PLATFORM_ENV["PAAS_AUTOSCALE_UP_SECONDS"]) + 2)
            patch_web(platform, scaled, {"autoscale": RULE})
            wait_until("1 routed web container", lambda: routed_containers(scaled) == 1)
            # Alternate which goes first so drift in machine load hits both alike.
            if number % 2:
                step_result = step(platform, scaled, clients, plateau)
                hand = by_hand(platform, fixed, clients, plateau)
            else:
                hand = by_hand(platform, fixed, clients, plateau)
                step_result = step(platform, scaled, clients, plateau)
            found.append(figures(step_result, hand))
            print_round(number, clients, step_result, found[-1])
            troubled = troubled or any(found[-1]["failed"])
        if troubled:
            print_router_trouble(platform)
        return found
    except (BenchFailed, AssertionError):
        print_log_tails(platform)
        raise
    finally:
        stop_platform(platform)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="load steps, each beside a run by hand (default 3)")
    parser.add_argument("--clients", type=int, default=40, help="clients after the step (default 40)")
    parser.add_argument("--plateau", type=float, default=15.0,
                        help="seconds of load after the 4th container serves, and of each run by hand (default 15)")
    args = parser.parse_args()
    clients = max(2, args.clients)
    found = run_in_temp_dir(lambda tmp: run(max(1, args.rounds), clients, max(3.0, args.plateau), tmp))
    if found is None:
        return 1
    report(found, clients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
