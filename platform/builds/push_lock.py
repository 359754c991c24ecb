"""The app's push lock: one push per app at a time, held by the web process that runs it.

A lease (paas/leases.py) whose token is the push's id: a web process killed mid-push frees
the app within the lease's TTL, and the build's worker, which asks `push_alive` before it
releases anything, sees that the push is gone."""
from django.conf import settings

from paas.leases import Lease, lease_break, lease_holder


def _key(app_name: str) -> str:
    return f"paas:{settings.PAAS_INSTANCE}:push:{app_name}"


def push_lock(app_name: str, push_id: str) -> Lease:
    return Lease(_key(app_name), token=push_id)


def push_alive(app_name: str, push_id: str) -> bool:
    """The push still holds its app's push lock: its web process lives and git has not exited."""
    return lease_holder(_key(app_name)) == push_id


def push_in_progress(app_name: str) -> bool:
    return lease_holder(_key(app_name)) is not None


def push_lock_discard(app_name: str) -> None:
    """The app is gone: a push still running for it must not hold its name."""
    lease_break(_key(app_name))
