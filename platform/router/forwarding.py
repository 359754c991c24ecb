"""The headers the router gives an app, as Heroku's router does, and whom it believes.

Every request reaches the app with X-Forwarded-For (the client's address appended),
X-Forwarded-Proto, X-Forwarded-Port, X-Request-Id and X-Request-Start (Unix time in
milliseconds). A client's own X-Request-Id is kept when it follows Heroku's rule (20 to 200 of
letters, digits, `+ / = -`), else the router makes one. Proto and Port are the router's own
($scheme, the port the request came in on) unless the peer is a trusted proxy
(PAAS_ROUTER_TRUSTED_PROXIES): a TLS-terminating proxy in front of the router says the scheme
and port the client used, and anyone else could lie about them.
"""
import ipaddress
import re
import secrets
import time

from django.conf import settings

from router.errors import RouterError

REQUEST_ID = re.compile(r"[A-Za-z0-9+=/-]{20,200}")
# nginx's own spelling of the same rule (a map's regex; quoted for its braces).
_NGINX_REQUEST_ID = "~^[A-Za-z0-9+=/-]{20,200}$"


def request_id_kept(value: str | None) -> bool:
    """Whether the router passes a client's X-Request-Id on as it is (else it makes one)."""
    return value is not None and REQUEST_ID.fullmatch(value) is not None


def trusted_proxies() -> list[str]:
    """PAAS_ROUTER_TRUSTED_PROXIES as networks nginx's geo module reads: "10.0.0.0/8", "::1/128"."""
    networks = []
    for item in settings.PAAS_ROUTER_TRUSTED_PROXIES.split(","):
        if not item.strip():
            continue
        try:
            networks.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        except ValueError:
            raise RouterError(f"PAAS_ROUTER_TRUSTED_PROXIES: {item.strip()!r} is not an address or a network "
                              "(e.g. 127.0.0.1, 10.0.0.0/8, ::1)") from None
    return networks


def render_http_block() -> str:
    """The main config's part (inside `http {}`) that works the headers out and sets them."""
    trusted = "".join(f"        {network} 1;\n" for network in trusted_proxies())
    return f"""    # Who may say the client's scheme and port (PAAS_ROUTER_TRUSTED_PROXIES): router/forwarding.py.
    geo $paas_trusted_peer {{
        default 0;
{trusted}    }}
    map "$paas_trusted_peer:$http_x_forwarded_proto" $paas_forwarded_proto {{
        default $scheme;
        "~^1:(?<paas_proto>https?)$" $paas_proto;
    }}
    map "$paas_trusted_peer:$http_x_forwarded_port" $paas_forwarded_port {{
        default $server_port;
        "~^1:(?<paas_port>[0-9]{{1,5}})$" $paas_port;
    }}
    map $http_x_request_id $paas_request_id {{
        default $request_id;
        "{_NGINX_REQUEST_ID}" $http_x_request_id;
    }}
    # $msec is "seconds.milliseconds"; Heroku's X-Request-Start is milliseconds.
    map $msec $paas_request_start {{
        "~^(?<paas_start_s>[0-9]+)[.](?<paas_start_ms>[0-9]+)$" "$paas_start_s$paas_start_ms";
    }}
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $paas_forwarded_proto;
    proxy_set_header X-Forwarded-Port $paas_forwarded_port;
    proxy_set_header X-Request-Id $paas_request_id;
    proxy_set_header X-Request-Start $paas_request_start;
"""


def check_headers() -> dict[str, str]:
    """What a health check sends besides Host: the headers of a request the router passed on
    from a client on this host, so an app answers it as it answers its users."""
    return {
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Port": str(settings.PAAS_ROUTER_PORT),
        "X-Request-Id": f"paas-healthcheck-{secrets.token_hex(8)}",
        "X-Request-Start": str(int(time.time() * 1000)),
    }
