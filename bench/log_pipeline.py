"""Log pipeline benchmark: how many lines/s reach N websocket viewers, how fast, and is any lost?

On a throwaway platform instance, an app's `writer` process (busybox) prints numbered lines at a
set rate. Two phases, each with a fresh writer container:
  1. floor: the bench itself follows the container's log through the Docker engine (what any
     log tool starts from); nothing of the platform is in the path.
  2. pipeline: N websocket viewers follow /ws/apps/APP/logs/ (shipper -> Redis stream -> relay ->
     Channels -> uvicorn -> websocket), in a few client processes.
Latency is measured from the engine's timestamp of each line (when the container wrote it) to
its receipt; lines lost are the writer's lines a viewer never got (a viewer that fell behind is
told how many it missed; those count as lost). Prints the writer's rate, each phase's sustained
lines/s per viewer, lost lines, and latency p50/p99, then the pipeline's p99 against the floor's.
Aim: 10,000 lines/s per app to 20 viewers, p99 under 250 ms, 0 lost. It reports, it does not
assert: exit 0 either way, non-zero only if the platform itself fails.

Run from the repo root (needs Docker, Redis and nginx, like the end-to-end tests):
    make bench-log-pipeline
    (or: .venv/bin/python bench/log_pipeline.py [--rate 10000] [--seconds 10] [--viewers 20])
"""
import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import docker
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BenchFailed, percentile, print_log_tails, run_in_temp_dir, wait_live  # noqa: E402
from tests.support import BASE_IMAGE, Platform, SourceTree, ensure_base_image, start_platform, stop_platform  # noqa: E402

TICKS_PER_SECOND = 50
# Sleeps take this share of each second; the loop's own cost (each burst forks seq and usleep:
# a few ms on a loaded machine) and the wait for the next second take the rest.
SLEEP_SHARE = 0.7
IDLE_END = 15.0  # a viewer stops after this long without a line (the writer is done or stuck)
CLIENT_PROCESSES = 2
WRITER_DONE = '"process":"writer.1","line":"done"'


def writer_command(rate: int, total: int) -> str:
    """Busybox sh printing `rate` numbered lines each wall-clock second (in TICKS_PER_SECOND
    bursts; second k's lines start when the clock reaches it, or at once if the writer is late),
    then `done`."""
    chunk = max(rate // TICKS_PER_SECOND, 1)
    pause = int(1_000_000 / TICKS_PER_SECOND * SLEEP_SHARE)
    until_second_s = 'while [ "$(date +%s)" -lt "$s" ]; do usleep 1000; done'
    return (
        f"i=0; s=$(($(date +%s)+1)); {until_second_s}; while [ $i -lt {total} ]; do"
        f" t=0; while [ $t -lt {TICKS_PER_SECOND} ] && [ $i -lt {total} ]; do"
        f" seq $((i+1)) $((i+{chunk})); i=$((i+{chunk})); t=$((t+1)); usleep {pause}; done;"
        f" s=$((s+1)); {until_second_s}; done; echo done; exec sleep 3600"
    )


def app_files(rate: int, total: int) -> dict[str, str]:
    return {
        "Dockerfile": f"FROM {BASE_IMAGE}\nRUN mkdir -p /www && echo ok > /www/index.html\nCMD exec httpd -f -p $PORT -h /www\n",
        "Procfile": f"web: exec httpd -f -p $PORT -h /www\nwriter: sh -c '{writer_command(rate, total)}'\n",
    }


def parse_ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Tally:
    """One follower's view of the writer's lines: which numbers arrived, when they were written
    (the engine's timestamp) and how late."""

    def __init__(self) -> None:
        self.numbers: set[int] = set()
        self.latencies: list[float] = []
        self.missed = 0
        self.first_written = self.last_written = None
        self.first_received = self.last_received = None

    def line(self, text: str, ts: float, now: float) -> None:
        if text.isdigit():
            self.numbers.add(int(text))
            self.latencies.append(now - ts)
            self.first_written, self.last_written = self.first_written or ts, ts
            self.first_received, self.last_received = self.first_received or now, now

    def summary(self, total: int) -> dict:
        def rate(first, last) -> float:
            return len(self.numbers) / (last - first) if first and last and last > first else 0.0

        return {
            "received": len(self.numbers),
            "lost": total - len(self.numbers & set(range(1, total + 1))),
            "missed_notices": self.missed,
            "written_rate": rate(self.first_written, self.last_written),
            "rate": rate(self.first_received, self.last_received),
            "latencies": self.latencies,
        }


def scale_writer(platform: Platform, app: str, quantity: int) -> None:
    status, body = platform.api("PATCH", f"/api/apps/{app}/formation", [{"type": "writer", "quantity": quantity}])
    if status != 200:
        raise BenchFailed(f"scaling the writer answered {status}: {body}")


def writer_container(platform: Platform, app: str, timeout: float = 60):
    client = docker.from_env()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = client.containers.list(filters={"label": [f"io.paas.instance={platform.instance}", f"io.paas.app={app}", "io.paas.process=writer"]})
        if found:
            return found[0]
        time.sleep(0.05)
    raise BenchFailed("the writer container did not start")


def floor_phase(platform: Platform, app: str, total: int) -> dict:
    """Follow the writer's log straight from the engine."""
    scale_writer(platform, app, 1)
    container = writer_container(platform, app)
    tally, pending = Tally(), b""
    for chunk in container.logs(stream=True, follow=True, timestamps=True):
        now = time.time()
        *lines, pending = (pending + chunk).split(b"\n")
        done = False
        for raw in lines:
            stamp, _, text = raw.decode().partition(" ")
            done = done or text == "done"
            tally.line(text, parse_ts(stamp[:26] + "Z" if len(stamp) > 27 else stamp), now)
        if done:
            break
    scale_writer(platform, app, 0)
    return tally.summary(total)


async def _viewer(url: str, token: str, total: int, ready, go) -> dict:
    """One websocket viewer. Frames are kept as they come, with their time of receipt, and
    parsed after the writer is done: the viewers share the platform's two cores, and their own
    parsing would otherwise be part of what is measured (a browser parses on its own machine)."""
    frames: list[tuple[float, str]] = []
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None) as ws:
        await ws.recv()  # history (none asked for)
        ready()
        await go()
        while True:
            try:
                frame = await asyncio.wait_for(ws.recv(), IDLE_END)
            except TimeoutError:
                break
            frames.append((time.time(), frame))
            if WRITER_DONE in frame:
                break
    tally = Tally()
    for now, frame in frames:
        message = json.loads(frame)
        if message["type"] == "missed":
            tally.missed += message["count"]
            continue
        for entry in message["lines"]:
            if entry["process"] == "writer.1":
                tally.line(entry["line"], parse_ts(entry["ts"]), now)
    return tally.summary(total)


def _client_process(url: str, token: str, viewers: int, total: int, connected, start, results) -> None:
    async def main() -> list[dict]:
        loop = asyncio.get_running_loop()

        def ready() -> None:
            connected.put(1)

        async def go() -> None:
            await loop.run_in_executor(None, start.wait)

        return await asyncio.gather(*(_viewer(url, token, total, ready, go) for _ in range(viewers)))

    results.put(asyncio.run(main()))


def pipeline_phase(platform: Platform, app: str, total: int, viewers: int) -> list[dict]:
    url = platform.web_url.replace("http://", "ws://") + f"/ws/apps/{app}/logs/?lines=0"
    connected, results, start = multiprocessing.Queue(), multiprocessing.Queue(), multiprocessing.Event()
    shares = [viewers // CLIENT_PROCESSES + (i < viewers % CLIENT_PROCESSES) for i in range(CLIENT_PROCESSES)]
    clients = [
        multiprocessing.Process(target=_client_process, args=(url, platform.admin_token, share, total, connected, start, results))
        for share in shares if share
    ]
    for client in clients:
        client.start()
    for _ in range(viewers):
        connected.get(timeout=60)
    start.set()
    scale_writer(platform, app, 1)
    summaries = [summary for _ in clients for summary in results.get(timeout=total / 100 + 300)]
    for client in clients:
        client.join()
    scale_writer(platform, app, 0)
    return summaries


def print_phase(name: str, summaries: list[dict], total: int) -> float:
    latencies = [value for summary in summaries for value in summary["latencies"]]
    rates = [summary["rate"] for summary in summaries]
    lost = [summary["lost"] for summary in summaries]
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    written = max(summary["written_rate"] for summary in summaries)
    print(f"\n{name}: {len(summaries)} follower(s) of {total:,} lines, written at {written:,.0f} lines/s")
    print(f"  lines/s received per follower: median {statistics.median(rates):,.0f}, min {min(rates):,.0f}")
    print(f"  lines lost: {sum(lost):,} in all (per follower: max {max(lost):,}); missed notices: {sum(s['missed_notices'] for s in summaries):,} lines")
    print(f"  latency write -> receipt: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    return p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=10_000, help="lines per second the writer prints")
    parser.add_argument("--seconds", type=int, default=10, help="how long the writer writes")
    parser.add_argument("--viewers", type=int, default=20, help="websocket viewers of the app's log")
    args = parser.parse_args()
    ensure_base_image()
    total = args.rate * args.seconds

    def run(tmp: Path) -> bool:
        # The default viewer backlog (the platform's own), not the tests' short one.
        platform = start_platform(tmp / "platform", PAAS_VIEWER_BACKLOG="100")
        try:
            app = platform.new_app()
            source = SourceTree(tmp / "src").write(app_files(args.rate, total))
            source.commit("writer")
            push = source.push(platform.git_url(app))
            if push.returncode != 0:
                raise BenchFailed(f"push failed:\n{push.output}")
            wait_live(platform, app, 1, timeout=120, poll=0.1)
            print(f"writer: {args.rate:,} lines/s for {args.seconds}s ({total:,} lines); {args.viewers} viewers")
            floor = floor_phase(platform, app, total)
            floor_p99 = print_phase("floor (docker logs --follow, in the bench)", [floor], total)
            summaries = pipeline_phase(platform, app, total, args.viewers)
            p99 = print_phase("pipeline (websocket viewers)", summaries, total)
            lost = sum(summary["lost"] for summary in summaries)
            rate_ok = min(summary["rate"] for summary in summaries) >= args.rate * 0.9
            print(f"\np99 against the floor's: {p99:.1f} ms vs {floor_p99:.1f} ms (ratio {p99 / floor_p99:.1f})")
            print(f"aim (>= 90% of {args.rate:,} lines/s to each viewer, p99 < 250 ms, 0 lost): "
                  f"{'met' if rate_ok and p99 < 250 and lost == 0 else 'NOT met'}")
            return True
        except BenchFailed:
            print_log_tails(platform)
            raise
        finally:
            stop_platform(platform)

    return 0 if run_in_temp_dir(run) else 1


if __name__ == "__main__":
    sys.exit(main())
