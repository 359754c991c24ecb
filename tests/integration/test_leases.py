"""Leases (paas/leases.py) against the real Redis: held while the holder renews, lost within
the TTL once it stops, released only by the holder."""
import time
import uuid

import pytest

from paas.leases import Lease, lease_break, lease_holder
from paas.redis_client import redis_client


@pytest.fixture
def key(redis_server):
    name = f"paas:tests:lease:{uuid.uuid4().hex}"
    yield name
    redis_client().delete(name)


def test_a_renewed_lease_outlives_its_ttl_and_nobody_else_can_take_it(key):
    lease = Lease(key, ttl=0.6)
    assert lease.acquire()
    try:
        time.sleep(2.0)  # more than three TTLs
        assert lease.held()
        assert not Lease(key, ttl=0.6).acquire()
    finally:
        lease.release()
    assert lease_holder(key) is None


def test_a_holder_that_stops_renewing_loses_the_lease_within_its_ttl(key):
    lease = Lease(key, ttl=1.0)
    assert lease.acquire()
    lease._stop.set()  # as a holder killed with -9: its renewing thread is gone
    lease._renewer.join()
    started = time.monotonic()
    while lease_holder(key) is not None:
        assert time.monotonic() - started < 1.5, "the lease outlived its TTL"
        time.sleep(0.05)
    lapsed = time.monotonic() - started
    print(f"lease of a holder that stopped renewing lapsed after {lapsed:.2f}s (TTL 1.0s)")
    other = Lease(key, ttl=1.0)
    assert other.acquire()
    other.release()


def test_only_the_holder_releases_the_lease(key):
    holder = Lease(key, ttl=5)
    assert holder.acquire()
    try:
        stranger = Lease(key, ttl=5, token="someone-else")
        stranger.release()  # not its lease: nothing happens
        assert lease_holder(key) == holder.token
    finally:
        holder.release()
    assert lease_holder(key) is None


def test_a_waiting_taker_gets_the_lease_once_the_holder_releases_it(key):
    holder = Lease(key, ttl=5)
    assert holder.acquire()
    waiter = Lease(key, ttl=5)
    assert not waiter.acquire(wait=0.3)
    holder.release()
    assert waiter.acquire(wait=1)
    waiter.release()


def test_a_broken_lease_is_noticed_by_its_holder(key):
    lease = Lease(key, ttl=0.6)
    assert lease.acquire()
    lease_break(key)  # as deleting the app does
    assert lease.lost.wait(2), "the holder did not notice that its lease was broken"
    assert not lease.held()
    lease.release()
