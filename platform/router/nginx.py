"""The router's nginx: one instance whose config the platform renders, tests and reloads.

Each app has a server block under apps/ (a file named by the app's id) that proxies its host
names to the app's stable endpoint (router/endpoints.py), so the block is written when the app
is first routed or its host names change, and releases, scaling and replaced containers never
touch nginx. A config that fails `nginx -t` is never loaded. Callers hold the router lock
(router.routing).
"""
import logging
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from router import certificate_files
from router.errors import RouterError
from router.nginx_config import GENERATION_PATH, apps_dir, listen_address, main_conf, pid_file, render_main, router_dir
from router.server_blocks import render_app
from router.site import Site

log = logging.getLogger(__name__)


def _nginx(*args: str) -> subprocess.CompletedProcess:
    command = [settings.PAAS_NGINX_BINARY, "-p", str(router_dir()), "-c", str(main_conf()), *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise RouterError(f"nginx is not installed at {settings.PAAS_NGINX_BINARY}") from None


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_main_config() -> str:
    """Write the main config with a new generation marker and return the marker."""
    for directory in (apps_dir(), router_dir() / "temp", Path(settings.PAAS_LOG_DIR), Path(settings.PAAS_RUN_DIR)):
        directory.mkdir(parents=True, exist_ok=True)
    generation = secrets.token_hex(8)
    _write(main_conf(), render_main(generation))
    return generation


def _served_generation() -> str | None:
    request = f"GET {GENERATION_PATH} HTTP/1.0\r\nHost: paas-router\r\n\r\n".encode()
    try:
        with socket.create_connection((settings.PAAS_ROUTER_HOST, settings.PAAS_ROUTER_PORT), timeout=2) as conn:
            conn.sendall(request)
            response = b""
            while chunk := conn.recv(4096):
                response += chunk
    except OSError:
        return None
    return response.partition(b"\r\n\r\n")[2].decode(errors="replace")


def wait_for_generation(generation: str, timeout: float = 10) -> bool:
    """Return once new connections are served by the config carrying `generation`.

    `nginx -s reload` returns before new workers take over; old workers may accept a few more
    connections meanwhile. Seeing the new marker on several fresh connections in a row means
    the old workers have stopped accepting."""
    deadline = time.monotonic() + timeout
    in_a_row = 0
    while time.monotonic() < deadline:
        in_a_row = in_a_row + 1 if _served_generation() == generation else 0
        if in_a_row >= 3:
            return True
        time.sleep(0.02)
    return False


def master_pid() -> int | None:
    try:
        pid = int(pid_file().read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def is_running() -> bool:
    return master_pid() is not None


def _test_and_reload(generation: str) -> None:
    """Load the written config; raises only if nginx did not accept it (nothing changed then)."""
    test = _nginx("-t")
    if test.returncode != 0:
        raise RouterError(f"router config rejected: {test.stderr.strip()}")
    if not is_running():
        return
    reload = _nginx("-s", "reload")
    if reload.returncode != 0:
        raise RouterError(f"router reload failed: {reload.stderr.strip()}")
    # nginx has the new config now, so it is not rolled back; it may just be slow to take over.
    if not wait_for_generation(generation):
        log.warning("router took longer than expected to load config %s", generation)


def _app_file(app_id: int) -> str:
    return f"{app_id}.conf"


def _put(name: str, text: str | None) -> None:
    if text is None:
        (apps_dir() / name).unlink(missing_ok=True)
    else:
        _write(apps_dir() / name, text)


def _change_apps(changes: dict[str, str | None]) -> bool:
    """Write (text) or delete (None) apps' server block files and reload; False if they were so
    already (nothing loaded). If nginx refuses the result, every file is put back as it was and
    nothing is loaded."""
    previous = {name: (apps_dir() / name).read_text() if (apps_dir() / name).exists() else None for name in changes}
    if previous == changes:
        return False
    # A reload closes idle keep-alive client connections of every app: worth a line in the log.
    log.info("router reload for %s", ", ".join(f"{name} ({'removed' if text is None else 'written'})"
                                               for name, text in changes.items() if previous[name] != text))
    generation = write_main_config()
    for name, text in changes.items():
        _put(name, text)
    try:
        _test_and_reload(generation)
    except RouterError:
        for name, text in previous.items():
            _put(name, text)
        raise
    return True


def _rendered(app_id: int, site: Site, endpoint: tuple[str, int]) -> tuple[str, list[Path]]:
    files = certificate_files.write(app_id, site.certificates)
    return render_app(app_id, site, endpoint, files), files


def route_app(app_id: int, site: Site, endpoint: tuple[str, int]) -> None:
    """Serve the app as `site` says from its endpoint; reloads only when that changes (the first
    route, a rename, a domain or certificate added or removed, a moved endpoint). A reload is
    graceful: requests in flight finish on the old workers."""
    text, files = _rendered(app_id, site, endpoint)
    if _change_apps({_app_file(app_id): text}):  # the files a block no longer names are only ever left by a change
        certificate_files.prune(set(files), app_id)


def serves(app_id: int) -> bool:
    """Whether the app has been routed (its server block is written)."""
    return (apps_dir() / _app_file(app_id)).exists()


def remove_app(app_id: int) -> None:
    """Stop serving the app's host names (a reload: the app is being deleted)."""
    _change_apps({_app_file(app_id): None})
    certificate_files.prune(set(), app_id)


def replace_all(routes: dict[int, tuple[Site, tuple[str, int]]]) -> None:
    """Rewrite every app's file from scratch (at start, from the database): app id -> (site,
    endpoint). Any other file goes, those named by app name before files were by id too.

    A reload closes idle keep-alive client connections, so a router already serving exactly
    these apps is left alone."""
    rendered = {_app_file(app_id): _rendered(app_id, site, endpoint) for app_id, (site, endpoint) in routes.items()}
    wanted = {name: text for name, (text, _) in rendered.items()}
    in_use = {path for _, files in rendered.values() for path in files}
    current = {path.name: path.read_text() for path in apps_dir().glob("*.conf")}
    if wanted == current and is_running():
        certificate_files.prune(in_use)
        return
    generation = write_main_config()
    for stale in apps_dir().glob("*.conf"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        _write(apps_dir() / name, text)
    _test_and_reload(generation)
    certificate_files.prune(in_use)


def group_file() -> Path:
    return Path(settings.PAAS_RUN_DIR) / "router.pgid"


def command() -> list[str]:
    """How supervisord runs the router: nginx in the foreground, through the launcher that
    first ends a killed master's orphaned workers (router/launcher.py)."""
    launcher = Path(__file__).with_name("launcher.py")
    nginx = [settings.PAAS_NGINX_BINARY, "-p", str(router_dir()), "-c", str(main_conf())]
    return [sys.executable, "-I", str(launcher), str(group_file()), "--", *nginx]


def _settings_part(text: str | None) -> str | None:
    """The main config but for its generation marker: what the settings made of it."""
    if text is None:
        return None
    marker = f"location = {GENERATION_PATH} {{ return 200 "
    head, found, rest = text.partition(marker)
    return head + found + rest.partition(";")[2] if found else text


def start() -> None:
    """Write the main config and check it, so that a config nginx refuses is an error here
    rather than supervisor's restarts of a router that cannot start; supervisord runs it.
    A router already running loads it if the settings changed it (PAAS_ROUTER_TRUSTED_PROXIES)."""
    before = main_conf().read_text() if main_conf().exists() else None
    generation = write_main_config()
    test = _nginx("-t")
    if test.returncode != 0:
        raise RouterError(f"router config rejected: {test.stderr.strip()}")
    if _settings_part(before) != _settings_part(main_conf().read_text()):
        _test_and_reload(generation)  # a no-op for a router not running yet


def wait_serving(timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _served_generation() is None:
        if time.monotonic() > deadline:
            raise RouterError(f"the router did not answer on {listen_address()} after starting")
        time.sleep(0.1)
