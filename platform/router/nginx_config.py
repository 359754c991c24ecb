"""The router's nginx config as text: the main file and one server block per app, and where
they live. router/nginx.py writes, tests and loads them."""
from pathlib import Path

from django.conf import settings

from router.forwarding import render_http_block
from router.server_blocks import challenge_location, http_listen, https_listen

ACCESS_LOG_FORMAT = (
    # The id of the app whose server block took the request, whichever of its host names it came
    # by (render_app), "-" for none: the log shipper attributes each line by it.
    '$time_iso8601 app=$paas_app_id host=$host method=$request_method path="$request_uri" status=$status '
    'bytes=$body_bytes_sent duration=$request_time upstream=$upstream_addr connect=$upstream_connect_time '
    # The id the app was given (router/forwarding.py): the client's own when it is a valid one.
    'upstream_status=$upstream_status request_id=$paas_request_id'
)


def router_dir() -> Path:
    return Path(settings.PAAS_ROUTER_DIR)


def main_conf() -> Path:
    return router_dir() / "nginx.conf"


def apps_dir() -> Path:
    return router_dir() / "apps"


def pid_file() -> Path:
    return Path(settings.PAAS_RUN_DIR) / "router.pid"


def listen_address() -> str:
    return http_listen()


GENERATION_PATH = "/.paas/router-generation"


def render_main(generation: str) -> str:
    temp = router_dir() / "temp"
    maintenance_host, maintenance_port = maintenance_address()
    log_dir = Path(settings.PAAS_LOG_DIR)
    temp_paths = "\n".join(
        f"    {kind}_temp_path {temp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""# Rendered by the platform (router/nginx.py); edits are overwritten.
# In the foreground: supervisord runs it (controlplane/supervision.py).
daemon off;
worker_processes auto;
pid {pid_file()};
error_log {log_dir / 'router-error.log'} warn;
events {{ worker_connections 4096; }}
http {{
{render_http_block()}    log_format paas '{ACCESS_LOG_FORMAT}';
    access_log {log_dir / 'router-access.log'} paas;
{temp_paths}
    client_max_body_size 100m;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_read_timeout 120s;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:paas_tls:10m;
    ssl_session_timeout 1h;
    server {{
        listen {listen_address()} default_server;
        default_type text/plain;
        # Declares the variable the access log writes; an app's server block sets its own id.
        set $paas_app_id "-";
        # Lets the platform see when a reload has taken effect (see wait_for_generation).
        location = {GENERATION_PATH} {{ return 200 "{generation}"; }}
        # A domain added to an app not deployed yet is validated here.
{challenge_location("=404")}        location / {{ return 404 "No app is deployed at $host.\\n"; }}
    }}
    # A TLS handshake for a name without a certificate here is refused (no other name's
    # certificate is shown for it).
    server {{
        listen {https_listen()} ssl default_server;
        ssl_reject_handshake on;
        set $paas_app_id "-";
    }}
    # Apps in maintenance mode have their endpoint pointed here (router.routing).
    server {{
        listen {maintenance_host}:{maintenance_port};
        default_type text/plain;
        location / {{ return 503 "$host is offline for maintenance.\\n"; }}
    }}
    include {apps_dir()}/*.conf;
}}
"""


def maintenance_address() -> tuple[str, int]:
    """Where an app in maintenance mode is pointed: a server of the router's own answering 503.
    Its port is the first of the instance's route range, which no app's endpoint uses."""
    return ("127.0.0.1", settings.PAAS_ROUTE_PORT_BASE)
