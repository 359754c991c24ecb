"""The per-app rollout lock: one rollout, restart, rename, deletion or reconcile pass acts on an
app at a time, across every worker and the web process. Keyed by the app's name, which its
containers carry, so a name a rename gave up stays held until the rename is over."""
from contextlib import contextmanager

from django.conf import settings

from paas.redis_client import redis_client

LOCK_SECONDS = 3600


class RolloutFailed(Exception):
    pass


def _rollout_lock(app_name: str):
    return redis_client().lock(
        f"paas:{settings.PAAS_INSTANCE}:rollout:{app_name}", timeout=LOCK_SECONDS, thread_local=False
    )


def app_rollout_lock(app, *, wait: bool = True):
    """One rollout (or reconcile) per app at a time, across all workers; yields False if
    `wait` is off and someone else holds it."""
    return name_rollout_lock(app.name, wait=wait)


@contextmanager
def name_rollout_lock(app_name: str, *, wait: bool = True):
    """app_rollout_lock by the app's name (which containers carry: a renamed app's old one)."""
    lock = _rollout_lock(app_name)
    acquired = lock.acquire(blocking=wait, blocking_timeout=LOCK_SECONDS if wait else None)
    if not acquired and wait:
        raise RolloutFailed(f"another rollout of {app_name} did not finish within an hour")
    try:
        yield acquired
    finally:
        if acquired:
            lock.release()
