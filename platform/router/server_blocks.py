"""An app's nginx server blocks as text: plain HTTP for its host names, HTTPS with SNI for each
name that has a certificate, and the 308 to HTTPS when the app asks for it (router/site.py).
Every block of the app proxies to the same upstream, its stable endpoint, so a release switch
never touches them; they change with the app's names, certificates and HTTPS settings."""
from pathlib import Path

from django.conf import settings

from router import challenges
from router.site import Site

# How many times a request may try the app's endpoint when its connection fails: with half of
# an app's web processes dead, one request in 2**8 still meets only dead ones, for the second
# or so until the reconciler has pointed the endpoint away from them. A refused try costs
# microseconds.
ENDPOINT_TRIES = 8

# A year, as browsers' preload lists ask; without includeSubDomains: other names under a domain
# may be other people's.
HSTS_HEADER = 'add_header Strict-Transport-Security "max-age=31536000" always;'


def http_listen() -> str:
    return f"{settings.PAAS_ROUTER_HOST}:{settings.PAAS_ROUTER_PORT}"


def https_listen() -> str:
    return f"{settings.PAAS_ROUTER_HOST}:{settings.PAAS_ROUTER_TLS_PORT}"


def https_origin_suffix() -> str:
    """What follows $host in the app's https:// address: the port unless it is HTTPS's own."""
    return "" if settings.PAAS_ROUTER_TLS_PORT == 443 else f":{settings.PAAS_ROUTER_TLS_PORT}"


def _upstream(app_id: int, endpoint: tuple[str, int]) -> str:
    host, port = endpoint
    # The endpoint once per try: a connection refused by a web container that just died (before
    # the reconciler points the endpoint elsewhere) is retried as a new connection, which the
    # kernel's rules send to one of the app's web containers at random, so with two or more of
    # them the request is served. max_fails=0: the only address is never marked down.
    servers = "\n".join(f"    server {host}:{port} max_fails=0;" for _ in range(ENDPOINT_TRIES))
    # No upstream keep-alive: each request opens its own connection to the endpoint, so it goes
    # to whichever containers the kernel points the endpoint at when it starts.
    return f"upstream paas-app-{app_id} {{\n{servers}\n}}\n"


def _proxy(app_id: int) -> str:
    # nginx retries a POST only when it was not sent yet, as with a refused connection; a
    # timeout is not retried, and all tries together stop after 10 s.
    return f"""        proxy_pass http://paas-app-{app_id};
        proxy_next_upstream error;
        proxy_next_upstream_tries {ENDPOINT_TRIES};
        proxy_next_upstream_timeout 10s;
"""


def _app_locations(app_id: int) -> str:
    return f"""    location / {{
{_proxy(app_id)}    }}
    error_page 502 = @paas_unavailable;
    location @paas_unavailable {{
        return 502 "Application error: no web process of $host answered.\\n";
    }}
"""


def challenge_location(fallback: str) -> str:
    """ACME http-01 challenges the platform is answering (router/challenges.py); any other path
    there goes to `fallback` (the app, which may answer its own, or a 404)."""
    return f"""    location ^~ {challenges.URL_PREFIX} {{
        root {challenges.challenges_root()};
        default_type text/plain;
        try_files $uri {fallback};
    }}
"""


def _server(app_id: int, listen: str, names, body: str) -> str:
    return f"""server {{
    listen {listen};
    server_name {" ".join(names)};
    set $paas_app_id {app_id};
{body}}}
"""


def render_app(app_id: int, site: Site, endpoint: tuple[str, int], certificate_files: list[Path]) -> str:
    """The app's file: `certificate_files[i]` holds `site.certificates[i]` (router/certificate_files.py)."""
    redirected = site.secured_names() if site.redirect_https else set()
    plain = [name for name in site.host_names if name not in redirected]
    served_by_app = challenge_location("@paas_app") + f"    location @paas_app {{\n{_proxy(app_id)}    }}\n"
    blocks = [_upstream(app_id, endpoint), _server(app_id, http_listen(), plain, served_by_app + _app_locations(app_id))]
    if redirected:
        to_https = f"return 308 https://$host{https_origin_suffix()}$request_uri;"
        body = challenge_location("@paas_https") + f"    location / {{ {to_https} }}\n    location @paas_https {{ {to_https} }}\n"
        blocks.append(_server(app_id, http_listen(), [n for n in site.host_names if n in redirected], body))
    for certificate, path in zip(site.certificates, certificate_files, strict=True):
        tls = f"    ssl_certificate {path};\n    ssl_certificate_key {path};\n" + (f"    {HSTS_HEADER}\n" if site.hsts else "")
        blocks.append(_server(app_id, f"{https_listen()} ssl", certificate.host_names, tls + _app_locations(app_id)))
    return "".join(blocks)
