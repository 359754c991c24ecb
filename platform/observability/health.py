"""Whether each dependency of the platform answers: the database, Redis, the Docker engine and
the router. `/healthz` reports them, the dashboard's banner shows what is down, and changes that
need Redis ask it first. Every check gives up after CHECK_SECONDS, so asking never hangs."""
import http.client
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import cache

import docker
import docker.errors
import requests
from django.conf import settings
from django.db import DatabaseError, connections

from paas.redis_check import CHECK_SECONDS, Check, redis_check

log = logging.getLogger(__name__)

# The banner's checks are shared by every page drawn within this many seconds.
RECENT_SECONDS = 2.0


def database_check() -> Check:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return Check(False, f"the database is unreachable ({error})")
    finally:
        connection.close()  # the check's thread is reused: keep no connection open in it
    return Check(True)


@cache
def _engine() -> docker.DockerClient:
    return docker.from_env(timeout=CHECK_SECONDS)


def engine_check() -> Check:
    try:
        _engine().ping()
    except (docker.errors.DockerException, requests.RequestException) as error:
        return Check(False, f"the Docker engine does not answer ({error})")
    return Check(True)


def _router_address() -> tuple[str, int]:
    host = settings.PAAS_ROUTER_HOST
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host), settings.PAAS_ROUTER_PORT


def router_check() -> Check:
    """nginx answers HTTP on the router's address (its default server answers a host it does not know)."""
    host, port = _router_address()
    connection = http.client.HTTPConnection(host, port, timeout=CHECK_SECONDS)
    try:
        connection.request("GET", "/", headers={"Host": "paas-health-check.invalid"})
        connection.getresponse().read()
    except (OSError, http.client.HTTPException) as error:
        return Check(False, f"the router (nginx) at {host}:{port} does not answer ({error})")
    finally:
        connection.close()
    return Check(True)


CHECKS = {"database": database_check, "redis": redis_check, "engine": engine_check, "router": router_check}
_pool = ThreadPoolExecutor(max_workers=2 * len(CHECKS), thread_name_prefix="health")


def _outcome(name: str, future: Future, done: set) -> Check:
    if future not in done:
        return Check(False, f"the {name} check had no answer within {CHECK_SECONDS:g}s")
    try:
        return future.result()
    except Exception as error:  # a check's own bug must not take /healthz down with it
        log.exception("the %s health check crashed", name)
        return Check(False, f"the {name} check failed: {error!r}")


def platform_health() -> dict[str, Check]:
    """Every check, side by side: the whole takes about as long as the slowest, at most CHECK_SECONDS."""
    futures = {name: _pool.submit(check) for name, check in CHECKS.items()}
    done, _ = wait(futures.values(), timeout=CHECK_SECONDS + 0.5)
    return {name: _outcome(name, future, done) for name, future in futures.items()}


_recent: tuple[float, dict[str, Check]] | None = None
_recent_lock = threading.Lock()


def recent_health() -> dict[str, Check]:
    """platform_health as of at most RECENT_SECONDS ago, so drawing a page rarely waits for it."""
    global _recent
    with _recent_lock:
        if _recent is None or time.monotonic() - _recent[0] > RECENT_SECONDS:
            _recent = (time.monotonic(), platform_health())
        return _recent[1]
