"""What the benchmarks share: failures, docker calls, waiting for content and for releases."""
import http.client
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tests.support import Platform


class BenchFailed(Exception):
    pass


T = TypeVar("T")


def run_in_temp_dir(run: Callable[[Path], T]) -> T | None:
    """Run a benchmark in a throwaway directory; None (after saying why) if the platform failed it."""
    try:
        with tempfile.TemporaryDirectory(prefix="paas-bench-", ignore_cleanup_errors=True) as tmp:
            return run(Path(tmp))
    except (BenchFailed, AssertionError) as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return None


def print_against_floor(what: str, times: list[float], floor_times: list[float], *, floor_is: str, aim: float,
                        what_is: str = "") -> None:
    """Both medians, one under the other, and their ratio against the aim."""
    median, floor = statistics.median(times), statistics.median(floor_times)
    ratio = median / floor
    label = f"median {what}:"
    width = len(label) + 1
    print(f"\n{label:<{width}}{median:.2f}s" + (f" ({what_is})" if what_is else ""))
    print(f"{'median floor:':<{width}}{floor:.2f}s ({floor_is})")
    print(f"{'ratio:':<{width}}{ratio:.2f}  aim < {aim:g}: {'met' if ratio < aim else 'NOT met'}")


def docker(*args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(["docker", *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchFailed(f"docker {' '.join(args)} failed:\n{result.stderr.strip()}")
    return result.stdout.strip()


def percentile(values: list[float], q: float) -> float:
    """The value at fraction `q` (0.99 for p99) of the sorted values; nan if there are none."""
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else float("nan")


def cleanup_floor(label: str) -> None:
    """Remove the containers and images a floor measurement made (all carry its label)."""
    for listing, remove in ((["ps", "-aq"], ["rm", "-f"]), (["images", "-q"], ["rmi", "-f"])):
        ids = subprocess.run(["docker", *listing, "--filter", f"label={label}"], capture_output=True, text=True)
        if ids.stdout.split():
            subprocess.run(["docker", *remove, *set(ids.stdout.split())], capture_output=True)


def fetch_url(url: str, host: str | None = None, timeout: float = 5.0) -> str:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read().decode()


def wait_for(fetch: Callable[[], str], text: str, *, timeout: float, poll: float) -> None:
    """Poll `fetch` until its body contains `text`; connection errors just mean not yet."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if text in fetch():
                return
        except (OSError, http.client.HTTPException):
            pass
        if time.monotonic() > deadline:
            raise BenchFailed(f"{text!r} was not served within {timeout:g}s")
        time.sleep(poll)


def release(platform: Platform, app: str, version: int) -> dict:
    status, body = platform.api("GET", f"/api/apps/{app}/releases/{version}")
    if status != 200:
        raise BenchFailed(f"GET release v{version} answered {status}: {body}")
    return body


def wait_live(platform: Platform, app: str, version: int, *, timeout: float, poll: float) -> dict:
    """Wait for release `version` to finish rolling out; anything but live is a platform failure."""
    deadline = time.monotonic() + timeout
    while (body := release(platform, app, version))["status"] in ("pending", "deploying"):
        if time.monotonic() > deadline:
            raise BenchFailed(f"v{version} still {body['status']} after {timeout:g}s")
        time.sleep(poll)
    if body["status"] != "live":
        raise BenchFailed(f"v{version} ended {body['status']}: {body.get('failure_reason') or ''}")
    return body


def print_router_trouble(platform: Platform, lines: int = 20) -> None:
    """What the router logged about requests that did not get a 200, and its error log's end."""
    log_dir = platform.var_dir / "log"
    access = log_dir / "router-access.log"
    trouble = [line for line in access.read_text(errors="replace").splitlines() if " status=200 " not in line]
    print(f"--- router: {len(trouble)} requests without a 200 (last {lines}):", file=sys.stderr)
    print("\n".join(trouble[-lines:]), file=sys.stderr)
    errors = (log_dir / "router-error.log").read_text(errors="replace").splitlines()[-lines:]
    print(f"--- router error log (last {len(errors)} lines):", file=sys.stderr)
    print("\n".join(errors), file=sys.stderr)


def print_tail(path: Path, lines: int = 15) -> None:
    """The end of a log file on stderr, so a failed run says why before its temp dir is gone."""
    if path.exists():
        tail = path.read_text(errors="replace").splitlines()[-lines:]
        print(f"--- last {len(tail)} lines of {path}", file=sys.stderr)
        print("\n".join(tail), file=sys.stderr)


def print_log_tails(platform: Platform, lines: int = 15) -> None:
    """The end of each platform log."""
    for log in sorted((platform.var_dir / "log").glob("*.log")):
        print_tail(log, lines)
