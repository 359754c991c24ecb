"""Liveness of the long-running processes (reconciler, log shipper, metrics sampler): `make up`
waits for each one's first beat, and a beat that stops means the process is gone or stuck."""
from django.conf import settings

from paas.redis_client import redis_client


def _key(name: str) -> str:
    return f"paas:{settings.PAAS_INSTANCE}:heartbeat:{name}"


def beat(name: str, pid: int, ttl: float) -> None:
    redis_client().set(_key(name), pid, ex=max(int(ttl), 1))


def pid_of(name: str) -> int | None:
    value = redis_client().get(_key(name))
    return int(value) if value else None
