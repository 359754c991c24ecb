"""When a dependency fails under a request: changes that need Redis are refused before anything
is written, and an error no view expected is answered plainly (JSON for the API and webhooks,
text for git, a readable page for the dashboard), never with Django's bare "Server Error (500)"."""
import functools
import sys

import redis
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from paas.redis_check import redis_check, redis_unreachable
from paas.errors import Unavailable

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# redis-py's own: BusyLoadingError (a Redis restarted and still loading its data) is a ConnectionError.
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
INTERNAL = "internal error in the platform (see its web log)"


def redis_lost() -> str:
    """What to say when Redis went away in the middle of a request, which may have written something."""
    return redis_unreachable("the request stopped before it was done: look at what it changed before repeating it")


def needs_redis(view):
    """For views whose changes use Redis (queues, locks, the log stream): ask it first, so that a
    change refused for it has written nothing. Reads pass either way."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.method not in SAFE_METHODS and not redis_check().ok:
            raise Unavailable(redis_unreachable("nothing was changed"))
        return view(request, *args, **kwargs)

    return wrapper


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while handling the exception (and has logged it with its traceback)."""
    if isinstance(sys.exc_info()[1], REDIS_DOWN):
        status, message = 503, redis_lost()
    else:
        status, message = 500, INTERNAL
    if request.path.startswith(("/api/", "/hooks/")):
        return JsonResponse({"error": message}, status=status)
    if request.path.startswith("/git/"):
        return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    # A page of its own, not the dashboard's base: what failed may be what the base needs.
    return HttpResponse(render_to_string("dashboard/error.html", {"status": status, "message": message}), status=status)
