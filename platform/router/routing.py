"""What the rest of the platform asks of the router: route an app, restore all routes, start, stop.

An app's traffic goes nginx -> the app's stable endpoint -> the kernel's DNAT rules -> its live
web containers. Only the rules change when a release goes live; nginx is written once per app.
"""
import fcntl
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from router import endpoints, nginx, nginx_config
from router.errors import RouterError

Address = tuple[str, int]

__all__ = ["RouterError", "remove_app", "rename", "restore", "route_app", "set_maintenance", "start", "stop"]


@contextmanager
def _router_lock():
    """One writer at a time, across processes: a change must see exactly the state it replaces."""
    directory = Path(settings.PAAS_ROUTER_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _maintenance_dir() -> Path:
    # The router's own record of which apps are in maintenance mode (the database has the
    # truth; restore() rewrites it from there), so that every route_app call honours it.
    return Path(settings.PAAS_ROUTER_DIR) / "maintenance"


def _maintenance_flag(app_name: str) -> Path:
    return _maintenance_dir() / app_name


def _point(app_name: str, app_id: int, addresses: list[Address]) -> None:
    if _maintenance_flag(app_name).exists():
        addresses = [nginx_config.maintenance_address()]
    nginx.route_app(app_name, endpoints.point(app_name, app_id, addresses))


def route_app(app_name: str, app_id: int, addresses: list[Address]) -> None:
    """New connections for the app go to these web containers from now on (refused if none),
    unless it is in maintenance mode."""
    with _router_lock():
        _point(app_name, app_id, addresses)


def set_maintenance(app_name: str, app_id: int, on: bool, addresses: list[Address]) -> None:
    """Maintenance mode on: new connections get the router's 503 page; off: they go to
    `addresses` (the app's live web containers) again. Atomic, like a release switch."""
    with _router_lock():
        flag = _maintenance_flag(app_name)
        if on:
            flag.parent.mkdir(parents=True, exist_ok=True)
            flag.touch()
        else:
            flag.unlink(missing_ok=True)
        if nginx.serves(app_name):  # else its first route_app will honour the flag
            _point(app_name, app_id, addresses)


def remove_app(app_name: str, app_id: int) -> None:
    """The app is no longer served (it is being deleted)."""
    with _router_lock():
        _maintenance_flag(app_name).unlink(missing_ok=True)
        if nginx.serves(app_name):  # else it never had an endpoint (stale ones go at restore)
            nginx.remove_app(app_name)
            endpoints.remove(app_id)


def rename(old: str, new: str, app_id: int, addresses: list[Address]) -> None:
    """The app is served under its new name only, by `addresses` (its processes started under
    that name); an app never routed just keeps its maintenance mode."""
    with _router_lock():
        if _maintenance_flag(old).exists():
            _maintenance_flag(old).rename(_maintenance_flag(new))
        if not nginx.serves(old):
            return
        if _maintenance_flag(new).exists():
            addresses = [nginx_config.maintenance_address()]
        nginx.rename_app(old, new, endpoints.point(new, app_id, addresses))


def restore(routes: dict[int, tuple[str, list[Address]]], *, maintenance: set[str] = frozenset()) -> None:
    """Rebuild every route from scratch: app id -> (app name, its live web containers), and
    which apps are in maintenance mode."""
    with _router_lock():
        _maintenance_dir().mkdir(parents=True, exist_ok=True)
        for flag in _maintenance_dir().iterdir():
            if flag.name not in maintenance:
                flag.unlink()
        for name in maintenance:
            _maintenance_flag(name).touch()
        pointed = {
            app_id: (name, [nginx_config.maintenance_address()] if name in maintenance else addresses)
            for app_id, (name, addresses) in routes.items()
        }
        endpoints.replace_all(pointed)
        nginx.replace_all({name: endpoints.endpoint(app_id) for app_id, (name, _) in routes.items()})


def start() -> None:
    with _router_lock():
        nginx.start()


def stop() -> None:
    """After supervisord stopped nginx: the apps' endpoints go too."""
    with _router_lock():
        endpoints.remove_all()
