"""What the rest of the platform asks of the router: route an app, restore all routes, start, stop.

An app's traffic goes nginx -> the app's stable endpoint -> the kernel's DNAT rules -> its
target's addresses. Only the rules change when a release goes live; nginx is written once per
app and again only when its host names, certificates or HTTPS settings change (a graceful
reload: requests in flight finish). Where an app's traffic goes is decided by the
caller (applications/traffic.py) and given here as a Target: the router keeps no state of its
own about it.
"""
import fcntl
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from router import endpoints, nginx, nginx_config
from router.errors import RouterError
from router.site import Site
from router.target import Address, Target, TargetKind, activator_address

__all__ = ["RouterError", "remove_app", "restore", "route_app", "start", "stop"]


@contextmanager
def _router_lock():
    """One writer at a time, across processes: a change must see exactly the state it replaces."""
    directory = Path(settings.PAAS_ROUTER_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _addresses(target: Target) -> list[Address]:
    if target.kind is TargetKind.MAINTENANCE:
        return [nginx_config.maintenance_address()]
    if target.kind is TargetKind.ACTIVATOR:
        return [activator_address()]
    return list(target.addresses)  # none: the endpoint refuses new connections


def route_app(app_id: int, app_name: str, site: Site, target: Target) -> None:
    """New connections for the app's host names go to `target` from now on, over HTTP and, for
    the names with a certificate, HTTPS. A rename is a route with the new host names: the old
    ones stop being served in the same reload."""
    with _router_lock():
        nginx.route_app(app_id, site, endpoints.point(app_name, app_id, _addresses(target)))


def remove_app(app_id: int) -> None:
    """The app is no longer served (it is being deleted)."""
    with _router_lock():
        if nginx.serves(app_id):  # else it never had an endpoint (stale ones go at restore)
            nginx.remove_app(app_id)
            endpoints.remove(app_id)


def restore(routes: dict[int, tuple[str, Site, Target]]) -> None:
    """Rebuild every route from scratch: app id -> (app name, site, target)."""
    with _router_lock():
        endpoints.replace_all({app_id: (name, _addresses(target)) for app_id, (name, _, target) in routes.items()})
        nginx.replace_all({app_id: (site, endpoints.endpoint(app_id)) for app_id, (_, site, _) in routes.items()})


def start() -> None:
    with _router_lock():
        nginx.start()


def stop() -> None:
    """After supervisord stopped nginx: the apps' endpoints go too."""
    with _router_lock():
        endpoints.remove_all()
