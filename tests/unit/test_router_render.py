import time

import pytest

from pathlib import Path

from router import forwarding
from router.errors import RouterError
from router.forwarding import request_id_kept
from router.nginx_config import render_main
from router.server_blocks import render_app
from router.site import Certificate, Site


def test_app_config_sends_its_host_name_to_its_stable_endpoint_without_upstream_keepalive(settings):
    settings.PAAS_APPS_DOMAIN = "apps.example.test"
    settings.PAAS_ROUTER_PORT = 8088
    text = render_app(7, Site.plain("my-app.apps.example.test"), ("172.17.0.1", 40007), [])
    assert "server_name my-app.apps.example.test;" in text
    assert "listen 127.0.0.1:8088;" in text
    assert "proxy_pass http://paas-app-7;" in text
    # The endpoint once per try, never marked down: a refused connection is tried again.
    assert text.count("server 172.17.0.1:40007 max_fails=0;") == 8
    assert "proxy_next_upstream error;" in text and "proxy_next_upstream_tries 8;" in text
    # A pooled upstream connection would stay with the old containers after a switch.
    assert "keepalive" not in text
    assert "no web process of $host answered" in text


def test_an_app_is_served_under_every_host_name_given_and_logged_by_its_id():
    text = render_app(7, Site.plain("my-app.localhost", "www.example.com"), ("172.17.0.1", 40007), [])
    assert "server_name my-app.localhost www.example.com;" in text
    assert "set $paas_app_id 7;" in text
    main = render_main("g")
    assert "app=$paas_app_id " in main
    # Requests no app's server block takes are logged as no app's.
    assert 'set $paas_app_id "-";' in main


def _server_blocks(text: str) -> list[str]:
    return ["server {" + block for block in text.split("server {")[1:]]


def test_a_domain_with_a_certificate_is_served_over_https_by_its_name_alone(settings):
    settings.PAAS_ROUTER_PORT, settings.PAAS_ROUTER_TLS_PORT = 8080, 8443
    site = Site(("shop.localhost", "shop.example.com", "www.example.com"),
                (Certificate(("shop.example.com",), "CHAIN", "KEY"),))
    text = render_app(7, site, ("172.17.0.1", 40007), [Path("/certs/7-abc.pem")])
    plain, tls = _server_blocks(text)
    # No redirect asked: every name is served on plain HTTP, the challenge path first.
    assert "listen 127.0.0.1:8080;" in plain and "server_name shop.localhost shop.example.com www.example.com;" in plain
    assert "location ^~ /.well-known/acme-challenge/ {" in plain and "try_files $uri @paas_app;" in plain
    assert "listen 127.0.0.1:8443 ssl;" in tls and "server_name shop.example.com;" in tls
    assert "ssl_certificate /certs/7-abc.pem;" in tls and "ssl_certificate_key /certs/7-abc.pem;" in tls
    assert "proxy_pass http://paas-app-7;" in tls and "set $paas_app_id 7;" in tls
    assert "Strict-Transport-Security" not in text and "return 308" not in text
    assert "KEY" not in text  # the key is in the file only


def test_redirect_sends_only_names_with_a_certificate_to_https_and_keeps_answering_challenges(settings):
    settings.PAAS_ROUTER_PORT, settings.PAAS_ROUTER_TLS_PORT = 8080, 8443
    site = Site(("shop.localhost", "shop.example.com", "new.example.com"),
                (Certificate(("shop.example.com",), "CHAIN", "KEY"),), redirect_https=True, hsts=True)
    plain, redirect, tls = _server_blocks(render_app(7, site, ("172.17.0.1", 40007), [Path("/c.pem")]))
    # A domain still waiting for its certificate stays plain HTTP, so its challenge can be answered.
    assert "server_name shop.localhost new.example.com;" in plain and "return 308" not in plain
    assert "server_name shop.example.com;" in redirect and "proxy_pass" not in redirect
    assert "return 308 https://$host:8443$request_uri;" in redirect
    assert "try_files $uri @paas_https;" in redirect  # renewals are validated over plain HTTP
    assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in tls
    settings.PAAS_ROUTER_TLS_PORT = 443
    assert "return 308 https://$host$request_uri;" in render_app(7, site, ("172.17.0.1", 40007), [Path("/c.pem")])


def test_main_config_refuses_tls_for_unknown_names_and_answers_challenges_of_undeployed_apps(settings):
    settings.PAAS_ROUTER_TLS_PORT = 8443
    text = render_main("g")
    assert "listen 127.0.0.1:8443 ssl default_server;" in text and "ssl_reject_handshake on;" in text
    assert "try_files $uri =404;" in text


def test_main_config_answers_unknown_hosts_and_carries_the_generation():
    text = render_main("gen123")
    assert 'return 200 "gen123";' in text
    assert "default_server" in text and "No app is deployed" in text


def test_main_config_gives_apps_herokus_router_headers():
    text = render_main("g")
    for header, value in [("X-Forwarded-For", "$proxy_add_x_forwarded_for"), ("X-Forwarded-Proto", "$paas_forwarded_proto"),
                          ("X-Forwarded-Port", "$paas_forwarded_port"), ("X-Request-Id", "$paas_request_id"),
                          ("X-Request-Start", "$paas_request_start")]:
        assert f"proxy_set_header {header} {value};" in text
    # The access log names the id the app was given, where observability's parser reads it.
    assert "request_id=$paas_request_id'" in text
    # Milliseconds, as Heroku sends them: $msec without its dot.
    assert '"~^(?<paas_start_s>[0-9]+)[.](?<paas_start_ms>[0-9]+)$" "$paas_start_s$paas_start_ms";' in text


def test_by_default_no_peer_may_say_the_scheme_or_port(settings):
    settings.PAAS_ROUTER_TRUSTED_PROXIES = ""
    text = render_main("g")
    geo = text[text.index("geo $paas_trusted_peer {"):]
    assert geo[:geo.index("}")].split("{")[1].split() == ["default", "0;"]
    assert "default $scheme;" in text and "default $server_port;" in text


def test_trusted_proxies_are_written_as_networks_and_only_they_keep_proto_and_port(settings):
    settings.PAAS_ROUTER_TRUSTED_PROXIES = " 127.0.0.1, 10.1.2.0/24 ,::1,"
    text = render_main("g")
    assert "127.0.0.1/32 1;" in text and "10.1.2.0/24 1;" in text and "::1/128 1;" in text
    assert '"~^1:(?<paas_proto>https?)$" $paas_proto;' in text
    assert '"~^1:(?<paas_port>[0-9]{1,5})$" $paas_port;' in text


@pytest.mark.parametrize("value", ["10.0.0.300", "localhost", "10.0.0.0/33", "127.0.0.1 10.0.0.1"])
def test_a_trusted_proxy_that_is_no_address_is_refused_naming_the_setting(settings, value):
    settings.PAAS_ROUTER_TRUSTED_PROXIES = value
    with pytest.raises(RouterError, match="PAAS_ROUTER_TRUSTED_PROXIES: .* is not an address or a network"):
        render_main("g")


@pytest.mark.parametrize("value, kept", [
    ("a" * 20, True), ("A1+/=-" * 33 + "ab", True), ("f9ed4675f1c53513c61a3b3b4e25b4c0", True),
    ("a" * 19, False), ("a" * 201, False), ("a" * 19 + "_", False), ("a" * 20 + "\n", False),
    ("with space in it here", False), (None, False),
])
def test_a_clients_request_id_is_kept_only_by_herokus_rule(value, kept):
    assert request_id_kept(value) is kept


def test_the_nginx_and_python_request_id_rules_are_the_same():
    assert forwarding._NGINX_REQUEST_ID == f"~^{forwarding.REQUEST_ID.pattern}$"


def test_a_health_check_carries_the_headers_the_router_would_send(settings):
    settings.PAAS_ROUTER_PORT = 8081
    headers = forwarding.check_headers()
    assert (headers["X-Forwarded-Proto"], headers["X-Forwarded-Port"], headers["X-Forwarded-For"]) == ("http", "8081", "127.0.0.1")
    assert request_id_kept(headers["X-Request-Id"])
    assert abs(int(headers["X-Request-Start"]) - time.time() * 1000) < 5000


def test_make_up_reloads_a_running_router_only_when_the_settings_changed_its_main_config(settings):
    from router.nginx import _settings_part

    old = render_main("aaaa1111")
    assert _settings_part(old) == _settings_part(render_main("bbbb2222"))
    assert "aaaa1111" not in _settings_part(old) and "No app is deployed" in _settings_part(old)
    settings.PAAS_ROUTER_TRUSTED_PROXIES = "10.0.0.1"
    assert _settings_part(old) != _settings_part(render_main("bbbb2222"))
    assert _settings_part(None) is None
