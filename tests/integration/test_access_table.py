"""Every entry point, for every role: the answer the permission policy gives.

One row per endpoint and method: the REST API (Bearer token), the dashboard (session), git
smart HTTP (token as password) and the websockets. Each row says who may use it: any logged-in
user, or a team role and everyone above it. Then, per caller:
  anonymous     401 (API, git), a redirect to the login page (dashboard), close 4401 (websocket)
  outsider      404: an app or team of another team is not known to exist (close 4404)
  lower role    403
  allowed       anything else: done, or refused for what was asked (400, 409), never for who asked
A route without a row fails test_every_route_has_a_row: a new endpoint must say who may use it.
"""
import base64
import json
from dataclasses import dataclass

import pytest
from asgiref.sync import async_to_sync
from channels.testing.websocket import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import AsyncClient
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from applications.models import App, Formation, Release, ReleaseStatus
from builds.models import Build
from builds.repositories import repository_ensure

ROLES = ("viewer", "developer", "operator", "admin")
CALLERS = ("anonymous", "outsider", *ROLES)
# Public pages: the login form, logging out and the health check need no role.
PUBLIC = {("healthz", "GET"), ("login/", "GET"), ("login/", "POST"), ("logout/", "POST")}
# Webhooks: a registry is no user, so no role applies; the app's webhook token is the credential.
# test_the_registry_webhook_takes_its_own_token_and_no_one_elses checks that, for every caller.
TOKEN_AUTHENTICATED = {("hooks/registry/<slug:hook_id>", "POST")}


@dataclass(frozen=True)
class Row:
    kind: str  # api | page | git | ws
    method: str
    path: str
    needs: str  # "user" (anyone logged in), "staff", or the lowest role that may
    body: dict | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.method} {self.path}"


A = "/api/apps/shop"
D = "/apps/shop"
TABLE = [
    # REST API
    Row("api", "GET", "/api/apps", "user"),
    Row("api", "POST", "/api/apps", "admin", {"name": "another", "team": "acme"}),
    Row("api", "GET", A, "viewer"),
    Row("api", "PATCH", A, "admin", {"checks": {"path": "/health"}}),
    Row("api", "PATCH", A, "operator", {"maintenance": True}),
    Row("api", "PATCH", A, "admin", {"image_repository": "127.0.0.1:5000/shop"}),
    Row("api", "PATCH", A, "developer", {"builder": "buildpack"}),
    Row("api", "PATCH", A, "developer", {"build_vars": ["PIP_INDEX_URL"]}),
    Row("api", "DELETE", A, "admin"),
    Row("api", "GET", f"{A}/builds", "viewer"),
    Row("api", "GET", f"{A}/builds/BUILD", "viewer"),
    Row("api", "GET", f"{A}/releases", "viewer"),
    Row("api", "POST", f"{A}/releases", "developer", {"release": 1}),
    Row("api", "GET", f"{A}/releases/1", "viewer"),
    Row("api", "PATCH", A, "admin", {"redirect_https": True}),
    Row("api", "GET", f"{A}/domains", "viewer"),
    Row("api", "POST", f"{A}/domains", "admin", {"hostname": "www.example.com"}),
    Row("api", "GET", f"{A}/domains/shop.example.com", "viewer"),
    Row("api", "DELETE", f"{A}/domains/shop.example.com", "admin"),
    Row("api", "PUT", f"{A}/domains/shop.example.com/certificate", "admin", {"certificate_chain": "", "private_key": ""}),
    Row("api", "DELETE", f"{A}/domains/shop.example.com/certificate", "admin"),
    Row("api", "POST", f"{A}/domains/shop.example.com/certificate/renewal", "admin"),
    Row("api", "GET", f"{A}/config-vars", "developer"),
    Row("api", "PATCH", f"{A}/config-vars", "developer", {"GREETING": "hello"}),
    Row("api", "GET", f"{A}/formation", "viewer"),
    Row("api", "PATCH", f"{A}/formation", "operator", [{"type": "web", "quantity": 1}]),
    Row("api", "GET", f"{A}/log-stream", "viewer"),
    Row("api", "GET", f"{A}/metrics", "viewer"),
    Row("api", "GET", f"{A}/activity", "viewer"),
    Row("api", "GET", f"{A}/usage", "viewer"),
    Row("api", "GET", f"{A}/dynos", "viewer"),
    Row("api", "GET", f"{A}/dynos/web.1", "viewer"),
    Row("api", "DELETE", f"{A}/dynos", "operator"),
    Row("api", "DELETE", f"{A}/dynos/web", "operator"),
    Row("api", "GET", f"{A}/registry-webhook", "admin"),
    Row("api", "POST", f"{A}/registry-webhook", "admin"),
    Row("api", "GET", "/api/teams", "user"),
    Row("api", "POST", "/api/teams", "user", {"name": "newteam"}),
    Row("api", "GET", "/api/teams/acme/members", "viewer"),
    Row("api", "POST", "/api/teams/acme/members", "admin", {"user": "newbie", "role": "viewer"}),
    Row("api", "PATCH", "/api/teams/acme/members/viewer", "admin", {"role": "developer"}),
    Row("api", "DELETE", "/api/teams/acme/members/viewer", "admin"),
    Row("api", "POST", "/api/teams/acme/leave", "viewer"),
    Row("api", "GET", "/api/teams/acme/activity", "viewer"),
    Row("api", "GET", "/api/teams/acme/usage", "viewer"),
    Row("api", "GET", "/api/tokens", "user"),
    Row("api", "POST", "/api/tokens", "user", {"description": "ci"}),
    Row("api", "DELETE", "/api/tokens/OWN_TOKEN", "user"),
    # Dashboard
    Row("page", "GET", "/", "user"),
    Row("page", "POST", "/apps/new", "admin", {"name": "another", "team": "acme"}),
    Row("page", "GET", f"{D}/", "viewer"),
    Row("page", "POST", f"{D}/delete", "admin", {"confirm": "shop"}),
    Row("page", "POST", f"{D}/rename", "admin", {"name": "Not-A-Name"}),
    Row("page", "GET", f"{D}/releases/", "viewer"),
    Row("page", "GET", f"{D}/releases/table", "viewer"),
    Row("page", "POST", f"{D}/releases/1/rollback", "developer"),
    Row("page", "GET", f"{D}/releases/1/progress", "viewer"),
    Row("page", "GET", f"{D}/builds/", "viewer"),
    Row("page", "GET", f"{D}/builds/BUILD/", "viewer"),
    Row("page", "GET", f"{D}/builds/BUILD/output", "viewer"),
    Row("page", "GET", f"{D}/config/", "viewer"),
    Row("page", "POST", f"{D}/config/set", "developer", {"name": "GREETING", "value": "hello"}),
    Row("page", "GET", f"{D}/config/GREETING/reveal", "developer"),
    Row("page", "POST", f"{D}/config/GREETING/unset", "developer"),
    Row("page", "GET", f"{D}/scale/", "viewer"),
    Row("page", "POST", f"{D}/scale/set", "operator", {"type": "web", "quantity": "1"}),
    Row("page", "POST", f"{D}/restart", "operator", {"which": "web"}),
    Row("page", "POST", f"{D}/maintenance", "operator", {"on": "true"}),
    Row("page", "GET", f"{D}/activity/", "viewer"),
    Row("page", "GET", f"{D}/logs/", "viewer"),
    Row("page", "GET", f"{D}/metrics/", "viewer"),
    Row("page", "GET", f"{D}/usage/", "viewer"),
    Row("page", "GET", f"{D}/domains/", "viewer"),
    Row("page", "POST", f"{D}/domains/add", "admin", {"hostname": "www.example.com"}),
    Row("page", "POST", f"{D}/domains/https", "admin", {"redirect_https": "on"}),
    Row("page", "POST", f"{D}/domains/shop.example.com/remove", "admin"),
    Row("page", "POST", f"{D}/domains/shop.example.com/certificate", "admin", {"chain_pem": "", "key_pem": ""}),
    Row("page", "POST", f"{D}/domains/shop.example.com/automatic", "admin"),
    Row("page", "GET", "/teams/", "user"),
    Row("page", "POST", "/teams/new", "user", {"name": "newteam"}),
    Row("page", "GET", "/teams/acme/", "viewer"),
    Row("page", "POST", "/teams/acme/members/add", "admin", {"user": "newbie", "role": "viewer"}),
    Row("page", "POST", "/teams/acme/members/viewer/role", "admin", {"role": "developer"}),
    Row("page", "POST", "/teams/acme/members/viewer/remove", "admin"),
    Row("page", "POST", "/teams/acme/leave", "viewer"),
    Row("page", "GET", "/teams/acme/usage/", "viewer"),
    Row("page", "GET", "/tokens/", "user"),
    Row("page", "POST", "/tokens/new", "user", {"description": "ci"}),
    Row("page", "POST", "/tokens/OWN_TOKEN/revoke", "user"),
    Row("page", "GET", "/platform/", "staff"),  # the platform's own processes: no caller here is staff
    # git smart HTTP: fetching (clone, pull) is viewing; pushing is deploying
    Row("git", "GET", "/git/shop.git/info/refs?service=git-upload-pack", "viewer"),
    Row("git", "GET", "/git/shop.git/info/refs?service=git-receive-pack", "developer"),
    Row("git", "POST", "/git/shop.git/git-upload-pack", "viewer"),
    Row("git", "POST", "/git/shop.git/git-receive-pack", "developer"),
    # Websockets
    Row("ws", "GET", "/ws/apps/shop/logs/", "viewer"),
    Row("ws", "GET", "/ws/apps/shop/metrics/", "viewer"),
]


@pytest.fixture
def world(members, redis_server):
    """The acme team (members of every role), its app shop with two releases, a build and a
    config var, and a user `newbie` in no team."""
    app = App.objects.create(name="shop", team=members.team)
    build = Build.objects.create(app=app, commit="a" * 40, ref="refs/heads/main", status="succeeded", output="built")
    Release.objects.create(app=app, version=1, image="paas-tests/shop:build-0", description="Deploy aaaaaaa",
                           status=ReleaseStatus.RETIRED)
    Release.objects.create(app=app, version=2, image="paas-tests/shop:build-1", description="Deploy bbbbbbb",
                           status=ReleaseStatus.LIVE, build=build)
    Formation.objects.create(app=app, process_type="web", quantity=1, memory_mb=256, cpus=1.0)
    from applications.config_vars import config_vars_update

    config_vars_update(app=app, user=None, changes={"GREETING": "hi"})
    repository_ensure(app.name)
    from domains.models import Domain

    Domain.objects.create(app=app, hostname="shop.example.com")
    get_user_model().objects.create(username="newbie")
    return {"BUILD": str(build.pk)}


def expected(row: Row, caller: str) -> str:
    if caller == "anonymous":
        return "unauthenticated"
    if row.needs == "user":
        return "allowed"
    if row.needs == "staff":
        return "not found"
    if caller == "outsider":
        return "not found"
    return "allowed" if ROLES.index(caller) >= ROLES.index(row.needs) else "forbidden"


def _path(row: Row, world: dict, members, caller: str) -> str:
    path = row.path
    for name, value in world.items():
        path = path.replace(name, value)
    if "OWN_TOKEN" in path:  # the caller's own token (anonymous has none: any id will do)
        from accounts.models import ApiToken

        own = ApiToken.objects.filter(user__username=caller).first()
        path = path.replace("OWN_TOKEN", str(own.pk if own else 1))
    return path


def _answer_http(client, members, row: Row, path: str, caller: str) -> str:
    headers = {}
    if caller != "anonymous":
        token = members.tokens[caller]
        if row.kind == "api":
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        elif row.kind == "git":
            headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"git:{token}".encode()).decode()
        else:
            client.force_login(get_user_model().objects.get(username=caller))
    if row.kind == "api":
        response = client.generic(row.method, path, json.dumps(row.body) if row.body is not None else "",
                                  content_type="application/json", **headers)
    elif row.kind == "git":
        response = async_to_sync(_git_request)(row.method, path, headers)
    elif row.method == "GET":
        response = client.get(path, **headers)
    else:
        response = client.post(path, row.body or {}, **headers)
    status = response.status_code
    if status == 401 or (row.kind == "page" and status == 302 and response["Location"].startswith("/login/")):
        return "unauthenticated"
    return {404: "not found", 403: "forbidden"}.get(status, "allowed") if status < 500 else f"error {status}"


async def _git_request(method: str, path: str, headers: dict):
    """git's endpoints are async views that stream git's output: ask and read them as such."""
    response = await AsyncClient().generic(method, path, b"", headers={"Authorization": headers["HTTP_AUTHORIZATION"]}
                                           if headers else None)
    if getattr(response, "streaming", False):
        async for _ in response.streaming_content:
            pass
    return response


def _answer_ws(members, path: str, caller: str) -> str:
    from paas.asgi import application

    if caller == "anonymous":  # as a logged-out browser would come: from the dashboard's own origin
        headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    else:
        headers = [(b"authorization", f"Bearer {members.tokens[caller]}".encode())]

    async def connect():
        socket = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await socket.connect()
        assert connected
        first = await socket.receive_output(timeout=5)
        await socket.disconnect()
        return first

    first = async_to_sync(connect)()
    if first["type"] == "websocket.close":
        return {4401: "unauthenticated", 4404: "not found", 4403: "forbidden"}[first["code"]]
    return "allowed"


def _param(row: Row):
    # A websocket consumer reads the database from another thread: it needs committed rows.
    return pytest.param(row, id=str(row), marks=pytest.mark.django_db(transaction=row.kind == "ws"))


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("row", [_param(row) for row in TABLE])
def test_each_entry_point_answers_each_caller_as_the_policy_says(client, members, world, row, caller, settings):
    settings.PAAS_INSTANCE = "tests-access"
    path = _path(row, world, members, caller)
    answer = _answer_ws(members, path, caller) if row.kind == "ws" else _answer_http(client, members, row, path, caller)
    assert answer == expected(row, caller), f"{row} as {caller}"


def _routes(resolvers, prefix: str = ""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_route_has_a_row():
    """A new endpoint (or a new method on one) must get a row above saying who may use it."""
    covered = {(resolve(row.path.split("?")[0].replace("BUILD", "1").replace("OWN_TOKEN", "1")).route, row.method)
               for row in TABLE if row.kind != "ws"}
    missing = []
    for route, view in _routes(get_resolver().url_patterns):
        methods = getattr(view, "allowed_methods", None)
        if methods is None:
            if route not in {"api/^.*$", *(r for r, _ in PUBLIC)}:
                missing.append(f"{route} (its view does not declare its methods)")
            continue
        missing += [f"{method} {route}" for method in methods
                    if (route, method) not in covered | PUBLIC | TOKEN_AUTHENTICATED]
    from observability.websocket_urls import websocket_urlpatterns

    ws_covered = {row.path for row in TABLE if row.kind == "ws"}
    for pattern in websocket_urlpatterns:
        route = str(pattern.pattern)
        if route != "^" and "/" + route.replace("<str:app>", "shop") not in ws_covered:
            missing.append(f"websocket {route}")
    assert missing == []


@pytest.mark.parametrize("caller", CALLERS)
def test_the_registry_webhook_takes_its_own_token_and_no_one_elses(client, members, world, caller):
    """No caller's API token (or session) gets through the webhook; only its own token does."""
    from registry.selectors import webhook_url
    from registry.services import webhook_get, webhook_token

    tracked = webhook_get(app=App.objects.get(name="shop"))
    path = webhook_url(tracked).split("/hooks/", 1)[1]
    envelope = json.dumps({"events": []})
    headers = {}
    if caller != "anonymous":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {members.tokens[caller]}"
        client.force_login(get_user_model().objects.get(username=caller))
    assert client.post(f"/hooks/{path}", envelope, content_type="application/json", **headers).status_code == 401
    assert client.post(f"/hooks/{path}?token={members.tokens.get(caller, '')}", envelope,
                       content_type="application/json").status_code == 401
    own = {"HTTP_AUTHORIZATION": f"Bearer {webhook_token(tracked)}"}
    assert client.post(f"/hooks/{path}", envelope, content_type="application/json", **own).status_code == 202
