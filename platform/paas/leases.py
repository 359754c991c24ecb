"""Leases: Redis locks held only while their holder lives.

A lease has a short TTL that a thread of its holder renews (every third of the TTL). A holder
killed with -9, or cut off from Redis, stops renewing, and the lease lapses within its TTL; a
long fixed TTL instead kept a dead push's lock for 40 minutes. Only the holder (its token) can
renew or release it; a lease broken by someone else (an app's deletion) is noticed at the next
renewal (`lost`).
"""
import logging
import secrets
import threading

from redis.exceptions import LockError, LockNotOwnedError, RedisError

from paas.redis_client import redis_client

log = logging.getLogger(__name__)

LEASE_SECONDS = 12.0


class Lease:
    def __init__(self, key: str, *, ttl: float = LEASE_SECONDS, token: str | None = None) -> None:
        self.key = key
        self.ttl = ttl
        self.token = token or secrets.token_hex(12)
        self.lost = threading.Event()
        self._lock = redis_client().lock(key, timeout=ttl, thread_local=False)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self, *, wait: float | None = 0.0) -> bool:
        """Take the lease, waiting up to `wait` seconds for its holder to let go (None: no limit)."""
        if wait == 0:
            acquired = self._lock.acquire(blocking=False, token=self.token)
        else:
            acquired = self._lock.acquire(blocking=True, blocking_timeout=wait, token=self.token)
        if acquired:
            self._stop.clear()
            self._renewer = threading.Thread(target=self._renew, name=f"lease {self.key}", daemon=True)
            self._renewer.start()
        return bool(acquired)

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self._lock.reacquire()
            except LockNotOwnedError:
                log.warning("lease %s was taken from its holder", self.key)
                self.lost.set()
                return
            except RedisError as error:
                # Keep trying: if Redis stays away the lease lapses, as it should for a holder cut off.
                log.warning("renewing lease %s: %s", self.key, error)

    def release(self) -> None:
        """Let go (a no-op if the lease lapsed or was broken meanwhile)."""
        self._stop.set()
        if self._renewer is not None and self._renewer is not threading.current_thread():
            self._renewer.join()
        try:
            self._lock.release()
        except LockError:
            pass

    def held(self) -> bool:
        return lease_holder(self.key) == self.token

    def __enter__(self) -> "Lease":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def lease_holder(key: str) -> str | None:
    """The token of the lease's holder, or None if nobody holds it."""
    token = redis_client().get(key)
    return token.decode() if token is not None else None


def lease_break(key: str) -> None:
    """Remove the lease whoever holds it: for what it guarded no longer exists."""
    redis_client().delete(key)
