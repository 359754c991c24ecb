"""What the rest of the platform asks of the router: route an app, restore all routes, start, stop.

An app's traffic goes nginx -> the app's stable endpoint -> the kernel's DNAT rules -> its live
web containers. Only the rules change when a release goes live; nginx is written once per app.
"""
import fcntl
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from router import endpoints, nginx
from router.errors import RouterError

Address = tuple[str, int]

__all__ = ["RouterError", "remove_app", "restore", "route_app", "set_maintenance", "start", "stop"]


@contextmanager
def _router_lock():
    """One writer at a time, across processes: a change must see exactly the state it replaces."""
    directory = Path(settings.PAAS_ROUTER_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def route_app(app_name: str, app_id: int, addresses: list[Address]) -> None:
    """New connections for the app go to these web containers from now on (refused if none)."""
    with _router_lock():
        endpoint = endpoints.point(app_name, app_id, addresses)
        nginx.route_app(app_name, endpoint)


def remove_app(app_name: str, app_id: int) -> None:
    """The app is no longer served (it is being deleted)."""
    with _router_lock():
        nginx.remove_app(app_name)
        endpoints.remove(app_id)


def set_maintenance(app_name: str, on: bool) -> None:
    """In maintenance mode the app's host name answers 503, without a reload; its processes run on."""
    with _router_lock():
        nginx.set_maintenance(app_name, on)


def restore(routes: dict[int, tuple[str, list[Address]]], *, maintenance: set[str] = frozenset()) -> None:
    """Rebuild every route from scratch: app id -> (app name, its live web containers), and
    which apps are in maintenance mode."""
    with _router_lock():
        endpoints.replace_all(routes)
        nginx.replace_all({name: endpoints.endpoint(app_id) for app_id, (name, _) in routes.items()})
        nginx.replace_maintenance(set(maintenance))


def start() -> None:
    with _router_lock():
        nginx.start()


def stop() -> None:
    with _router_lock():
        nginx.stop()
        endpoints.remove_all()
