"""Is a new web process ready for traffic?

With a check path, an HTTP GET through the published port must answer 2xx or 3xx. Without one,
a TCP connect must be accepted, and it goes to the container's own address: docker-proxy
accepts connections on the published port even when nothing listens inside the container.
"""
import http.client
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from runtime.backend import Process


class NotReady(Exception):
    pass


@dataclass(frozen=True)
class CheckSettings:
    path: str = ""  # "": TCP connect to $PORT inside the container; "/x": HTTP GET /x
    wait: float = 0.0  # seconds before the first attempt
    timeout: float = 5.0  # seconds each attempt may take
    attempts: int = 120
    interval: float = 0.25  # seconds between attempts

    @classmethod
    def defaults(cls) -> "CheckSettings":
        from django.conf import settings

        return cls(
            wait=settings.PAAS_CHECK_WAIT,
            timeout=settings.PAAS_CHECK_TIMEOUT,
            attempts=settings.PAAS_CHECK_ATTEMPTS,
            interval=settings.PAAS_CHECK_INTERVAL,
        )


def _reason(error: OSError | http.client.HTTPException) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def http_status(address: tuple[str, int], path: str, host: str, timeout: float) -> int:
    """The status GET `path` answers with; OSError or HTTPException if there is no HTTP answer."""
    conn = http.client.HTTPConnection(*address, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host, "User-Agent": "paas-healthcheck"})
        return conn.getresponse().status
    finally:
        conn.close()


def accepts_connections(address: tuple[str, int], timeout: float) -> bool:
    try:
        socket.create_connection(address, timeout=timeout).close()
        return True
    except OSError:
        return False


def _attempt(process: Process, host: str, check: CheckSettings) -> str | None:
    """None if the process passed one attempt, else why it failed, worded as the final verdict."""
    if not check.path:
        if process.internal_address and accepts_connections(process.internal_address, check.timeout):
            return None
        return f"did not accept connections on $PORT within {check.attempts} attempts"
    try:
        if process.address is None:
            raise OSError("no published port")
        status = http_status(process.address, check.path, host, check.timeout)
    except (OSError, http.client.HTTPException) as error:
        return f"did not answer GET {check.path} on $PORT ({_reason(error)}; {check.attempts} attempts)"
    if 200 <= status < 400:
        return None
    return f"failed its health check: GET {check.path} answered {status} ({check.attempts} attempts)"


def wait_until_ready(
    process: Process, *, host: str, check: CheckSettings, still_running: Callable[[], bool]
) -> float:
    """Seconds until the process passed its check; NotReady(reason) if it stopped or ran out of attempts."""
    started = time.monotonic()
    time.sleep(check.wait)
    failure = f"made no attempt to answer on $PORT ({check.attempts} attempts)"
    for attempt in range(check.attempts):
        if attempt:
            time.sleep(check.interval)
        if not still_running():
            raise NotReady("exited before answering on $PORT")
        failure = _attempt(process, host, check)
        if failure is None:
            return time.monotonic() - started
    raise NotReady(failure)
