"""Hostile input gets a clear 4xx naming what is wrong, never a 500, and nothing is stored:
text that is not valid Unicode, NUL characters, deep nesting, oversized config and health check
paths a request line cannot carry, through the API and the dashboard's forms."""
import json

import pytest
from django.contrib.auth import get_user_model

from accounts.models import ApiToken, Team
from applications.config_vars import config_vars_get, config_vars_update
from applications.models import App

LONE_SURROGATE = '"\\ud800"'  # JSON text: the escape decodes to a lone surrogate


@pytest.fixture
def shop(members):
    app = App.objects.create(name="shop", team=members.team)
    config_vars_update(app=app, user=None, changes={"GREETING": "hello"})
    return app


def send(client, members, method, path, raw: str | bytes, who="admin"):
    return client.generic(method, f"/api{path}", raw, content_type="application/json", **members.auth(who))


def refused(response, status=400) -> str:
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.mark.parametrize(
    "method, path, raw, field",
    [
        ("PATCH", "/apps/shop/config-vars", f'{{"GREETING": {LONE_SURROGATE}}}', '"GREETING"'),
        ("PATCH", "/apps/shop/config-vars", f'{{{LONE_SURROGATE}: "x"}}', 'the field name "\\ud800"'),
        ("POST", "/tokens", f'{{"description": {LONE_SURROGATE}}}', '"description"'),
        ("POST", "/teams", f'{{"name": {LONE_SURROGATE}}}', '"name"'),
        ("POST", "/teams/acme/members", f'{{"user": {LONE_SURROGATE}, "role": "viewer"}}', '"user"'),
        ("POST", "/apps", f'{{"name": {LONE_SURROGATE}}}', '"name"'),
        ("PATCH", "/apps/shop", f'{{"checks": {{"path": {LONE_SURROGATE}}}}}', '"checks.path"'),
        ("PATCH", "/apps/shop/formation", f'[{{"type": {LONE_SURROGATE}}}]', '"[0].type"'),
    ],
)
def test_a_lone_surrogate_anywhere_in_a_json_body_is_a_400_naming_its_field(client, members, shop, method, path, raw,
                                                                             field):
    error = refused(send(client, members, method, path, raw))
    assert error.startswith(field) and "not valid Unicode" in error
    assert config_vars_get(shop) == {"GREETING": "hello"}
    assert not ApiToken.objects.exclude(description="").exists() and Team.objects.count() == 1


def test_a_body_that_is_not_utf8_is_a_400(client, members, shop):
    assert "not UTF-8" in refused(send(client, members, "POST", "/tokens", b'{"description": "\xff"}'))
    # json.loads reads an encoded surrogate ("surrogatepass"): the same refusal as its escape.
    error = refused(send(client, members, "POST", "/tokens", b'{"description": "\xed\xa0\x80"}'))
    assert error.startswith('"description" holds text that is not valid Unicode')


@pytest.mark.parametrize("depth", [100_000, 40])
def test_deeply_nested_json_is_a_400(client, members, shop, depth):
    for method, path, raw in [
        ("PATCH", "/apps/shop/config-vars", '{"A": ' + "[" * depth + "]" * depth + "}"),
        ("PATCH", "/apps/shop/formation", "[" * depth + "]" * depth),
    ]:
        assert "nests deeper than 32 levels" in refused(send(client, members, method, path, raw))


def test_a_body_over_the_upload_limit_is_a_413(client, members, shop, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert "larger than 1000 bytes" in refused(send(client, members, "POST", "/tokens", json.dumps({"description": "x" * 2000})), 413)


@pytest.mark.parametrize("body", [{"GREETING": "a\x00b"}, {"OTHER": "\x00"}])
def test_a_nul_in_a_config_value_is_a_400_naming_the_var_through_the_api(client, members, shop, body):
    (name,) = body
    error = refused(send(client, members, "PATCH", "/apps/shop/config-vars", json.dumps(body), who="developer"))
    assert name in error and "NUL" in error
    assert config_vars_get(shop) == {"GREETING": "hello"}


def test_a_nul_in_a_config_value_is_refused_by_the_service_for_every_caller(members, shop):
    from paas.errors import UserError

    with pytest.raises(UserError, match="value of GREETING holds a NUL"):
        config_vars_update(app=shop, user=None, changes={"GREETING": "a\x00b"})
    with pytest.raises(UserError, match="invalid config var name"):
        config_vars_update(app=shop, user=None, changes={"A\x00B": "x"})


def test_a_nul_in_a_config_var_name_is_a_400_quoting_the_name_readably(client, members, shop):
    error = refused(send(client, members, "PATCH", "/apps/shop/config-vars", json.dumps({"A\x00B": "x"}), who="developer"))
    assert error.startswith('the field name "A\\u0000B" holds a NUL character')


def test_a_nul_in_a_token_description_or_a_user_name_is_a_400(client, members):
    assert "NUL" in refused(send(client, members, "POST", "/tokens", json.dumps({"description": "ci\x00"})))
    assert "NUL" in refused(send(client, members, "POST", "/teams/acme/members", json.dumps({"user": "viewer\x00", "role": "viewer"})))


def _dashboard(client, role: str):
    client.force_login(get_user_model().objects.get(username=role))
    return client


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/apps/shop/config/set", b"name=GREETING&value=%ED%A0%80", "value"),
        ("/apps/shop/config/set", b"name=%ED%A0%80&value=x", "name"),
        ("/apps/shop/config/set", b"name=A&value=x&%ED%A0%80=x", "\ufffd\ufffd\ufffd"),
        ("/tokens/new", b"description=%ED%A0%80", "description"),
        ("/teams/new", b"name=%ED%A0%80", "name"),
        ("/teams/acme/members/add", b"user=%FF&role=viewer", "user"),
    ],
)
def test_a_dashboard_form_with_bytes_that_are_not_utf8_is_a_400_naming_the_field(client, members, shop, path, body, field):
    response = _dashboard(client, "admin").post(path, body, content_type="application/x-www-form-urlencoded",
                                                HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert f"the field &quot;{field}&quot; holds text that is not valid Unicode" in response.content.decode()
    assert config_vars_get(shop) == {"GREETING": "hello"}
    assert not ApiToken.objects.exclude(description="").exists() and Team.objects.count() == 1


def test_the_dashboards_config_form_refuses_a_nul_naming_the_var(client, members, shop):
    response = _dashboard(client, "developer").post("/apps/shop/config/set", {"name": "GREETING", "value": "a\x00b"},
                                                    HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "value of GREETING holds a NUL" in response.content.decode()
    assert config_vars_get(shop) == {"GREETING": "hello"}


def _patch_config(client, members, body):
    return send(client, members, "PATCH", "/apps/shop/config-vars", json.dumps(body), who="developer")


def test_config_vars_over_the_apps_total_are_refused_and_nothing_changes(client, members, shop, settings):
    assert settings.PAAS_CONFIG_MAX_BYTES == 32768  # Heroku's cap, the default
    # GREETING=hello takes 13 bytes; names count as much as values.
    many = {f"VAR_{i:04}": "x" * 1000 for i in range(33)}
    error = refused(_patch_config(client, members, many))
    assert "more than the 32768" in error and "PAAS_CONFIG_MAX_BYTES" in error
    assert config_vars_get(shop) == {"GREETING": "hello"}

    room = 32768 - len("GREETING") - len("hello") - len("FILL")
    assert _patch_config(client, members, {"FILL": "x" * room}).status_code == 200
    assert "more than the 32768" in refused(_patch_config(client, members, {"Z": ""}))


def test_the_cap_is_a_setting_and_an_app_over_it_may_still_shrink(client, members, shop, settings):
    settings.PAAS_CONFIG_MAX_BYTES = 100
    assert "more than the 100" in refused(_patch_config(client, members, {"BIG": "x" * 90}))
    settings.PAAS_CONFIG_MAX_BYTES = 10  # lowered below what the app has (13 bytes)
    assert "more than the 10" in refused(_patch_config(client, members, {"GREETING": "hello!"}))
    assert _patch_config(client, members, {"GREETING": "hey"}).json() == {"GREETING": "hey"}
    assert _patch_config(client, members, {"GREETING": None}).json() == {}


@pytest.mark.parametrize("path", ["/café", "/a b", "/tab\there", "health", "/\x7f", "/50%", "/%zz", "/ok\n", 5])
def test_a_health_check_path_a_request_line_cannot_carry_is_a_400_with_the_rule(client, members, shop, path):
    error = refused(send(client, members, "PATCH", "/apps/shop", json.dumps({"checks": {"path": path}})))
    assert '"/" then printable ASCII with no spaces' in error and "percent-encoded" in error
    assert App.objects.get(pk=shop.pk).checks == {}


@pytest.mark.parametrize("path", ["/health", "/caf%C3%A9?full=1&x=%2F", "/", "/a/b;c=d~e_f.g-h!$'()*+,:@"])
def test_health_check_paths_of_printable_ascii_and_percent_encoding_are_taken(client, members, shop, path):
    response = send(client, members, "PATCH", "/apps/shop", json.dumps({"checks": {"path": path}}))
    assert response.status_code == 200 and response.json()["checks"]["path"] == path


def test_well_formed_text_still_goes_through_everywhere(client, members, shop):
    """The guards refuse broken text only: astral characters, accents and escapes pass."""
    assert _patch_config(client, members, {"GREETING": "héllo 🌍 \\u0000 \t"}).status_code == 200
    assert config_vars_get(shop)["GREETING"] == "héllo 🌍 \\u0000 \t"
    assert send(client, members, "POST", "/tokens", json.dumps({"description": "laptop 💻"})).status_code == 201
