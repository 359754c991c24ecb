"""The platform's URLs (and its handler500) plus views that fail the way a bug or a lost Redis does."""
import redis
from django.urls import path

from api.http import endpoint
from paas.urls import handler500, urlpatterns as platform_urlpatterns  # noqa: F401 (handler500 is read by Django)


def crashing(request):
    raise RuntimeError("a bug in a view")


def redis_gone(request):
    raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")


@endpoint("GET")
def api_redis_gone(request):
    return redis_gone(request)


urlpatterns = [
    path("api/endpoint-redis-gone", api_redis_gone),
    path("api/crash", crashing),
    path("api/redis-gone", redis_gone),
    path("crash", crashing),
    *platform_urlpatterns,
]
