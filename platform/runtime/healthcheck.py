"""Is a new web process ready for traffic?

A TCP connect to the published port proves nothing: docker-proxy accepts it even when nothing
listens in the container. So the check speaks HTTP and counts any HTTP answer as ready.
"""
import socket
import time
from collections.abc import Callable


class NotReady(Exception):
    pass


def answers_http(address: tuple[str, int], host: str, timeout: float = 2.0) -> bool:
    request = f"GET / HTTP/1.0\r\nHost: {host}\r\nUser-Agent: paas-healthcheck\r\n\r\n".encode()
    try:
        with socket.create_connection(address, timeout=timeout) as conn:
            conn.settimeout(timeout)
            conn.sendall(request)
            return conn.recv(5) == b"HTTP/"
    except OSError:
        return False


def wait_until_ready(
    address: tuple[str, int], *, host: str, timeout: float, still_running: Callable[[], bool], interval: float = 0.1
) -> float:
    """Poll until the process answers HTTP; raise NotReady if it stops or `timeout` passes."""
    started = time.monotonic()
    while True:
        if answers_http(address, host):
            return time.monotonic() - started
        if not still_running():
            raise NotReady("exited before answering on $PORT")
        if time.monotonic() - started > timeout:
            raise NotReady(f"did not answer HTTP on $PORT within {timeout:g}s")
        time.sleep(interval)
