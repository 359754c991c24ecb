"""One Redis client per process and REDIS_URL. redis-py pools connections per client, while
django_rq.get_connection builds a new client, and so a new TCP connection, on every call: at
thousands of log lines a second that cost more than the commands themselves."""
from functools import cache

import redis
from django.conf import settings


def redis_client() -> redis.Redis:
    """The shared client: thread-safe, and safe across fork (the pool reconnects in a child)."""
    return _client_for(settings.REDIS_URL)


@cache
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)
