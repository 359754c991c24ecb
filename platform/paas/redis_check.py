"""Whether Redis answers, asked with a timeout of its own: what a change that needs Redis asks
first (paas/failures.py, the push hook) and `/healthz` reports beside the other dependencies
(observability/health.py), with the words a message about it uses."""
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import redis
from django.conf import settings

CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Check:
    ok: bool
    error: str = ""

    def as_json(self) -> dict:
        return {"ok": True} if self.ok else {"ok": False, "error": self.error}


def redis_address() -> str:
    """Where the platform's Redis is, as a message may show it (never its password)."""
    url = urlsplit(settings.REDIS_URL)
    if url.scheme == "unix":
        return url.path
    return f"{url.hostname or 'localhost'}:{url.port or 6379}"


def redis_unreachable(consequence: str) -> str:
    return f"the platform's Redis at {redis_address()} is unreachable; {consequence}. Try again shortly."


@cache
def _redis_for(url: str) -> redis.Redis:
    # Not the shared client (paas/redis_client.py): that one has no timeouts, and a Redis that
    # hangs rather than refuses would hang the check.
    return redis.Redis.from_url(url, socket_timeout=CHECK_SECONDS, socket_connect_timeout=CHECK_SECONDS)


def redis_check() -> Check:
    try:
        _redis_for(settings.REDIS_URL).ping()
    except redis.RedisError as error:
        return Check(False, f"Redis at {redis_address()} is unreachable ({error})")
    return Check(True)
