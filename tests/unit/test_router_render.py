from router.nginx_config import render_app, render_main


def test_app_config_sends_its_host_name_to_its_stable_endpoint_without_upstream_keepalive(settings):
    settings.PAAS_APPS_DOMAIN = "apps.example.test"
    settings.PAAS_ROUTER_PORT = 8088
    text = render_app("my-app", ("172.17.0.1", 40007))
    assert "server_name my-app.apps.example.test;" in text
    assert "listen 127.0.0.1:8088;" in text
    assert "proxy_pass http://paas-app-my-app;" in text
    # The endpoint once per try, never marked down: a refused connection is tried again.
    assert text.count("server 172.17.0.1:40007 max_fails=0;") == 8
    assert "proxy_next_upstream error;" in text and "proxy_next_upstream_tries 8;" in text
    # A pooled upstream connection would stay with the old containers after a switch.
    assert "keepalive" not in text
    assert "no web process of my-app answered" in text


def test_main_config_answers_unknown_hosts_and_carries_the_generation():
    text = render_main("gen123")
    assert 'return 200 "gen123";' in text
    assert "default_server" in text and "No app is deployed" in text
