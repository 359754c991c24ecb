"""The per-app rollout lock: one rollout, restart, rename, deletion or reconcile pass acts on an
app at a time, across every worker and the web process. Keyed by the app's name, which its
containers carry, so a name a rename gave up stays held until the rename is over.

It is a lease (paas/leases.py): held while its holder lives, so a worker killed mid-rollout
frees the app within seconds rather than after an hour."""
from contextlib import contextmanager

from django.conf import settings

from paas.leases import Lease, lease_holder

WAIT_SECONDS = 3600


class RolloutFailed(Exception):
    pass


def _key(app_name: str) -> str:
    return f"paas:{settings.PAAS_INSTANCE}:rollout:{app_name}"


def app_rollout_lock(app, *, wait: bool | float = True):
    """One rollout (or reconcile) per app at a time, across all workers; yields False if
    `wait` is off (or a number of seconds, which passed) and someone else holds it."""
    return name_rollout_lock(app.name, wait=wait)


@contextmanager
def name_rollout_lock(app_name: str, *, wait: bool | float = True):
    """app_rollout_lock by the app's name (which containers carry: a renamed app's old one)."""
    lease = Lease(_key(app_name))
    acquired = lease.acquire(wait=WAIT_SECONDS if wait is True else float(wait))
    if not acquired and wait is True:
        raise RolloutFailed(f"another rollout of {app_name} did not finish within an hour")
    try:
        yield acquired
    finally:
        if acquired:
            lease.release()


def name_rollout_lock_held(app_name: str) -> bool:
    """Whether someone holds the name's rollout lock now (a read: nothing is taken)."""
    return lease_holder(_key(app_name)) is not None
