"""Is a new web process ready for traffic?

By default an HTTP GET of `/` through the published port, with the headers the router would
send (the app's Host, X-Forwarded-Proto and the rest), must get an answer below 500: redirects
to HTTPS and login pages pass, an error page or no answer fails. A check path the app sets names
a health endpoint, so it must answer 2xx or 3xx. With the path "" it is a TCP connect instead, to
the container's own address: docker-proxy accepts connections on the published port even when
nothing listens inside the container.
"""
import http.client
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from runtime.processes import Process


class NotReady(Exception):
    pass


@dataclass(frozen=True)
class CheckSettings:
    path: str = "/"  # "": TCP connect to $PORT inside the container; "/x": HTTP GET /x
    wait: float = 0.0  # seconds before the first attempt
    timeout: float = 5.0  # seconds each attempt may take
    attempts: int = 120
    interval: float = 0.25  # seconds between attempts
    passing_below: int = 500  # an HTTP status below this passes (400: only 2xx and 3xx)

    @classmethod
    def defaults(cls) -> "CheckSettings":
        from django.conf import settings

        return cls(
            path=settings.PAAS_CHECK_PATH,
            wait=settings.PAAS_CHECK_WAIT,
            timeout=settings.PAAS_CHECK_TIMEOUT,
            attempts=settings.PAAS_CHECK_ATTEMPTS,
            interval=settings.PAAS_CHECK_INTERVAL,
        )


def _reason(error: OSError | http.client.HTTPException) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def http_status(address: tuple[str, int], path: str, headers: Mapping[str, str], timeout: float) -> int:
    """The status GET `path` answers with; OSError or HTTPException if there is no HTTP answer."""
    conn = http.client.HTTPConnection(*address, timeout=timeout)
    try:
        conn.request("GET", path, headers={"User-Agent": "paas-healthcheck", **headers})
        return conn.getresponse().status
    finally:
        conn.close()


def accepts_connections(address: tuple[str, int], timeout: float) -> bool:
    try:
        socket.create_connection(address, timeout=timeout).close()
        return True
    except OSError:
        return False


def port_text(process: Process) -> str:
    """$PORT as a message names it: with its value when the process has one."""
    return f"$PORT={process.internal_address[1]}" if process.internal_address else "$PORT"


def seconds_text(value: float) -> str:
    """Whole seconds from 10 on, tenths below (9.96 is "10 s", not "10.0 s")."""
    return f"{value:.0f} s" if round(value, 1) >= 10 else f"{value:.1f} s"


def _attempt(process: Process, headers: Mapping[str, str], check: CheckSettings) -> str | None:
    """None if the process passed one attempt, else why it failed, worded as the final verdict
    ({seconds} stands for the time it was given)."""
    if not check.path:
        if process.internal_address and accepts_connections(process.internal_address, check.timeout):
            return None
        return f"did not accept connections on {port_text(process)} within {{seconds}} ({check.attempts} attempts)"
    try:
        if process.address is None:
            raise OSError("no published port")
        status = http_status(process.address, check.path, headers, check.timeout)
    except (OSError, http.client.HTTPException) as error:
        return (f"did not answer on {port_text(process)} within {{seconds}} "
                f"(GET {check.path}: {_reason(error)}; {check.attempts} attempts)")
    if status < check.passing_below:
        return None
    return f"failed its health check: GET {check.path} answered {status} ({check.attempts} attempts)"


def wait_until_ready(
    process: Process, *, host: str, check: CheckSettings, still_running: Callable[[], bool],
    headers: Mapping[str, str] | None = None,
) -> float:
    """Seconds until the process passed its check; NotReady(reason) if it stopped or ran out of
    attempts. `headers` go with each HTTP attempt, besides Host."""
    sent = {**(headers or {}), "Host": host}
    started = time.monotonic()
    time.sleep(check.wait)
    failure = f"made no attempt to answer on {port_text(process)} ({check.attempts} attempts)"
    for attempt in range(check.attempts):
        if attempt:
            time.sleep(check.interval)
        if not still_running():
            raise NotReady(f"exited before answering on {port_text(process)}")
        failure = _attempt(process, sent, check)
        if failure is None:
            return time.monotonic() - started
    raise NotReady(failure.replace("{seconds}", seconds_text(time.monotonic() - started)))
