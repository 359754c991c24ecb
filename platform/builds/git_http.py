"""Git smart HTTP (push and fetch) for app repositories.

The response streams while git runs, so the pre-receive hook's build output reaches the
pushing terminal line by line. That needs an async view: Django buffers sync iterators
entirely under ASGI.
"""
import asyncio
import logging
import os
import secrets
import zlib
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from access.policy import Action
from accounts.authentication import token_refused, user_from_token_header
from applications.selectors import app_for
from builds.hook_socket import PushHookSocket
from builds.pre_receive import SOCKET_VAR
from builds.repositories import hooks_dir, repository_ensure
from paas.errors import UserError

log = logging.getLogger(__name__)

SERVICES = {"git-upload-pack": Action.VIEW, "git-receive-pack": Action.DEPLOY}
CHUNK = 64 * 1024


def _text(status: int, message: str, **headers) -> HttpResponse:
    # git prints a text/plain error body to the user as `remote:` lines.
    response = HttpResponse(message.rstrip() + "\n", status=status, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _unauthorized(request: HttpRequest) -> HttpResponse:
    # git shows this body (text/plain) as `remote:` lines above its own "Authentication failed".
    if token_refused(request):
        reason = ("The token was refused: it is not valid or was revoked. Use a current API token as the password "
                  "(any user name): create one on the dashboard's API tokens page, or run `make admin-token` "
                  "for a new admin token.")
    else:
        reason = "Authentication required: use an API token as the password (any user name)."
    return _text(401, reason, WWW_Authenticate='Basic realm="paas git"')


def _authorize(request: HttpRequest, app_name: str, service: str):
    """(app name, user, repository path) for this request, or an HttpResponse refusing it."""
    if service not in SERVICES:
        return _text(403, "Only git smart HTTP is supported (git-upload-pack, git-receive-pack).")
    user = user_from_token_header(request)
    if user is None:
        return _unauthorized(request)
    try:
        app = app_for(user, app_name, SERVICES[service])
    except UserError as refused:
        return _text(refused.status, f"{refused}.")
    return app.name, user, repository_ensure(app.pk)


def _git_env(request: HttpRequest, **extra: str) -> dict[str, str]:
    return {**os.environ, "GIT_PROTOCOL": request.headers.get("Git-Protocol", ""), **extra}


def _git_command(service: str, repo, *extra: str) -> list[str]:
    command = ["git", "-c", f"core.hooksPath={hooks_dir()}", service.removeprefix("git-"), "--stateless-rpc"]
    return [*command, *extra, str(repo)]


def _pkt_line(text: str) -> bytes:
    data = text.encode()
    return f"{len(data) + 4:04x}".encode() + data


async def info_refs(request: HttpRequest, app_name: str) -> HttpResponse:
    if request.method != "GET":
        return _text(405, "GET only.")
    service = request.GET.get("service", "")
    authorized = await sync_to_async(_authorize)(request, app_name, service)
    if isinstance(authorized, HttpResponse):
        return authorized
    _, _, repo = authorized
    process = await asyncio.create_subprocess_exec(
        *_git_command(service, repo, "--advertise-refs"), stdout=asyncio.subprocess.PIPE, env=_git_env(request)
    )
    refs, _ = await process.communicate()
    if process.returncode != 0:
        return _text(500, "git could not read the repository.")
    body = _pkt_line(f"# service={service}\n") + b"0000" + refs
    response = HttpResponse(body, content_type=f"application/x-{service}-advertisement")
    response["Cache-Control"] = "no-cache"
    return response


async def _feed(process: asyncio.subprocess.Process, request: HttpRequest) -> None:
    gzipped = request.headers.get("Content-Encoding", "") == "gzip"
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
    try:
        while chunk := await sync_to_async(request.read)(CHUNK):
            await _write(process, inflater.decompress(chunk) if inflater else chunk)
        if inflater:
            await _write(process, inflater.flush())
    except (BrokenPipeError, ConnectionResetError):
        pass  # git stopped reading: it reports why on stdout
    except zlib.error:
        log.warning("bad gzip request body from git client")
    finally:
        process.stdin.close()


async def _write(process: asyncio.subprocess.Process, data: bytes) -> None:
    process.stdin.write(data)
    await process.stdin.drain()


async def _stream(
    process: asyncio.subprocess.Process, feeder: asyncio.Task, hook: PushHookSocket | None
) -> AsyncIterator[bytes]:
    try:
        while chunk := await process.stdout.read(CHUNK):
            yield chunk
        await process.wait()
        await feeder
    finally:
        # The client went away mid-push: stop git (and so the hook's relay; the build goes on).
        if process.returncode is None:
            process.kill()
            await process.wait()
        feeder.cancel()
        if hook is not None:
            await hook.close()


async def service_rpc(request: HttpRequest, app_name: str, service: str) -> HttpResponse:
    if request.method != "POST":
        return _text(405, "POST only.")
    authorized = await sync_to_async(_authorize)(request, app_name, service)
    if isinstance(authorized, HttpResponse):
        return authorized
    app_name, user, repo = authorized
    hook, env = None, _git_env(request)
    if service == "git-receive-pack":
        hook = await PushHookSocket(app_name=app_name, user_id=user.pk, push_id=secrets.token_hex(12)).open()
        env[SOCKET_VAR] = hook.path
    try:
        process = await asyncio.create_subprocess_exec(
            *_git_command(service, repo),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
    except BaseException:
        if hook is not None:
            await hook.close()
        raise
    feeder = asyncio.ensure_future(_feed(process, request))
    response = StreamingHttpResponse(_stream(process, feeder, hook), content_type=f"application/x-{service}-result")
    response["Cache-Control"] = "no-cache"
    return response


# Read by the access table test (tests/integration/test_access_table.py).
info_refs.allowed_methods = ("GET",)
service_rpc.allowed_methods = ("POST",)
