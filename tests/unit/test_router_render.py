from router.nginx import render_app, render_main


def test_app_config_routes_its_host_name_to_every_upstream(settings):
    settings.PAAS_APPS_DOMAIN = "apps.example.test"
    settings.PAAS_ROUTER_PORT = 8088
    text = render_app("my-app", [("127.0.0.1", 32001), ("127.0.0.1", 32002)])
    assert "server_name my-app.apps.example.test;" in text
    assert "server 127.0.0.1:32001 max_fails=0;" in text and "server 127.0.0.1:32002 max_fails=0;" in text
    assert "listen 127.0.0.1:8088;" in text
    assert "proxy_pass http://paas_app_my_app;" in text


def test_main_config_answers_unknown_hosts_and_carries_the_generation():
    text = render_main("gen123")
    assert 'return 200 "gen123";' in text
    assert "default_server" in text and "No app is deployed" in text
