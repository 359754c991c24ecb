"""The router: one nginx instance whose config the platform renders and reloads gracefully.

Each app with a live release has its own file under apps/; switching a release rewrites that
file and reloads (nginx -s reload), so in-flight requests finish on the old workers while new
connections go to the new upstreams. A config that fails `nginx -t` is never loaded.
"""
import fcntl
import logging
import os
import secrets
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

ACCESS_LOG_FORMAT = (
    '$time_iso8601 host=$host method=$request_method path="$request_uri" status=$status '
    'bytes=$body_bytes_sent duration=$request_time upstream=$upstream_addr request_id=$request_id'
)


class RouterError(Exception):
    pass


def _dir() -> Path:
    return Path(settings.PAAS_ROUTER_DIR)


def _conf() -> Path:
    return _dir() / "nginx.conf"


def _apps_dir() -> Path:
    return _dir() / "apps"


def pid_file() -> Path:
    return Path(settings.PAAS_RUN_DIR) / "router.pid"


def _listen() -> str:
    return f"{settings.PAAS_ROUTER_HOST}:{settings.PAAS_ROUTER_PORT}"


GENERATION_PATH = "/.paas/router-generation"


def render_main(generation: str) -> str:
    temp = _dir() / "temp"
    log_dir = Path(settings.PAAS_LOG_DIR)
    temp_paths = "\n".join(
        f"    {kind}_temp_path {temp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""# Rendered by the platform (router/nginx.py); edits are overwritten.
worker_processes auto;
pid {pid_file()};
error_log {log_dir / 'router-error.log'} warn;
events {{ worker_connections 4096; }}
http {{
    log_format paas '{ACCESS_LOG_FORMAT}';
    access_log {log_dir / 'router-access.log'} paas;
{temp_paths}
    client_max_body_size 100m;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Request-Id $request_id;
    proxy_read_timeout 120s;
    server {{
        listen {_listen()} default_server;
        default_type text/plain;
        # Lets the platform see when a reload has taken effect (see wait_for_generation).
        location = {GENERATION_PATH} {{ return 200 "{generation}"; }}
        location / {{ return 404 "No app is deployed at $host.\\n"; }}
    }}
    include {_apps_dir()}/*.conf;
}}
"""


def render_app(app: str, upstreams: list[tuple[str, int]]) -> str:
    servers = "\n".join(f"    server {host}:{port} max_fails=0;" for host, port in upstreams)
    return f"""upstream paas_app_{app.replace('-', '_')} {{
{servers}
    keepalive 16;
}}
server {{
    listen {_listen()};
    server_name {app}.{settings.PAAS_APPS_DOMAIN};
    location / {{
        proxy_pass http://paas_app_{app.replace('-', '_')};
    }}
}}
"""


@contextmanager
def _locked():
    """One writer at a time: test-and-reload must see exactly the files it is about to load."""
    _dir().mkdir(parents=True, exist_ok=True)
    with open(_dir() / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _nginx(*args: str) -> subprocess.CompletedProcess:
    command = [settings.PAAS_NGINX_BINARY, "-p", str(_dir()), "-c", str(_conf()), *args]
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
    for directory in (_apps_dir(), _dir() / "temp", Path(settings.PAAS_LOG_DIR), Path(settings.PAAS_RUN_DIR)):
        directory.mkdir(parents=True, exist_ok=True)
    generation = secrets.token_hex(8)
    _write(_conf(), render_main(generation))
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


def is_running() -> bool:
    try:
        pid = int(pid_file().read_text())
        os.kill(pid, 0)
        return True
    except (OSError, ValueError):
        return False


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


def route_app(app: str, upstreams: list[tuple[str, int]]) -> None:
    """Point app's host name at these upstreams (or stop routing it when there are none)."""
    path = _apps_dir() / f"{app}.conf"
    with _locked():
        previous = path.read_text() if path.exists() else None
        if previous == (render_app(app, upstreams) if upstreams else None):
            return  # routed this way already: a reload would only cost time
        generation = write_main_config()
        if upstreams:
            _write(path, render_app(app, upstreams))
        else:
            path.unlink(missing_ok=True)
        try:
            _test_and_reload(generation)
        except RouterError:
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                _write(path, previous)
            raise


def replace_all(routes: dict[str, list[tuple[str, int]]]) -> None:
    """Rewrite every app's file from scratch (after a restart, from the database and engine).

    A reload closes idle keep-alive client connections, so a router already serving exactly
    these routes is left alone."""
    with _locked():
        wanted = {app: render_app(app, upstreams) for app, upstreams in routes.items() if upstreams}
        current = {path.stem: path.read_text() for path in _apps_dir().glob("*.conf")}
        if wanted == current and is_running():
            return
        generation = write_main_config()
        for stale in _apps_dir().glob("*.conf"):
            if stale.stem not in routes:
                stale.unlink()
        for app, upstreams in routes.items():
            if upstreams:
                _write(_apps_dir() / f"{app}.conf", render_app(app, upstreams))
            else:
                (_apps_dir() / f"{app}.conf").unlink(missing_ok=True)
        _test_and_reload(generation)


def start() -> None:
    with _locked():
        generation = write_main_config()
        if is_running():
            return
        result = _nginx()
        if result.returncode != 0:
            raise RouterError(f"router failed to start: {result.stderr.strip()}")
        if not wait_for_generation(generation):
            raise RouterError(f"the router did not answer on {_listen()} after starting")


def stop() -> None:
    if is_running():
        _nginx("-s", "quit")
