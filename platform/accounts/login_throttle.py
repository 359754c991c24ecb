"""Password guessing at the login form, slowed down: failed logins are counted per user name
and per client address in Redis. Once either count reaches PAAS_LOGIN_MAX_FAILURES within
PAAS_LOGIN_LOCKOUT_SECONDS of its first failure, further attempts for that name or from that
address are refused, without the password being tried, for PAAS_LOGIN_LOCKOUT_SECONDS.

A success clears the user name's failures, and that name's share of the address's count (a
hash of failures per name): a user who mistyped is forgiven, while an attacker who logs in to
an account of their own between guesses at other users' passwords clears nothing of theirs.
"""
import hashlib
import math

from django.conf import settings

from paas.redis_client import redis_client


def _keys(username: str, address: str) -> tuple[str, str, str]:
    """The name's counter, the address's hash, and the name's field in that hash."""
    prefix = f"paas:{settings.PAAS_INSTANCE}:login-failures"
    name = hashlib.sha256(username.encode()).hexdigest()  # whatever was typed, of any length
    return f"{prefix}:user:{name}", f"{prefix}:address:{address}", name


def login_refused_for(*, username: str, address: str) -> int:
    """Seconds until this user name and address may try again; 0 if they may now."""
    user_key, address_key, _ = _keys(username, address)
    pipe = redis_client().pipeline(transaction=False)
    pipe.get(user_key).pttl(user_key).hvals(address_key).pttl(address_key)
    user_count, user_ttl, address_counts, address_ttl = pipe.execute()
    counts = [(int(user_count or 0), user_ttl), (sum(map(int, address_counts)), address_ttl)]
    return max((math.ceil(max(ttl, 1) / 1000) for count, ttl in counts if count >= settings.PAAS_LOGIN_MAX_FAILURES),
               default=0)


def login_failed(*, username: str, address: str) -> None:
    window = settings.PAAS_LOGIN_LOCKOUT_SECONDS
    user_key, address_key, name = _keys(username, address)
    pipe = redis_client().pipeline(transaction=False)
    # The window starts at the first failure (NX), so the count is of failures within it.
    pipe.incr(user_key).expire(user_key, window, nx=True)
    pipe.hincrby(address_key, name, 1).expire(address_key, window, nx=True).hvals(address_key)
    user_count, _, _, _, address_counts = pipe.execute()
    for key, count in ((user_key, user_count), (address_key, sum(map(int, address_counts)))):
        if count >= settings.PAAS_LOGIN_MAX_FAILURES:  # locked out: a whole window from now
            redis_client().expire(key, window)


def login_succeeded(*, username: str, address: str) -> None:
    user_key, address_key, name = _keys(username, address)
    redis_client().pipeline(transaction=False).delete(user_key).hdel(address_key, name).execute()
