"""Who is on the other end of a websocket, and may it connect from where it says it is.

Browsers authenticate with their session cookie, other clients with `Authorization: Bearer
TOKEN` in the handshake. A cookie is sent by the browser whatever page opens the socket, so a
cookie-authenticated handshake must come from our own origin (cross-site websocket hijacking);
a bearer token cannot be sent by another site's page, so token clients need no Origin.
"""
from urllib.parse import urlsplit

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.sessions import SessionMiddlewareStack
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from accounts.authentication import token_from_header
from accounts.services import token_digest, user_for_token


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def origin_allowed(scope, *, has_token: bool) -> bool:
    origin = _header(scope, b"origin")
    if origin is None:
        return has_token
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    return urlsplit(origin).netloc.lower() == (_header(scope, b"host") or "").lower()


class WebsocketAuthMiddleware(BaseMiddleware):
    """Sets scope["user"] (AnonymousUser when nothing valid was sent) and scope["token_digest"]
    (None for a session); refuses the handshake from a foreign origin before anything else happens."""

    async def __call__(self, scope, receive, send):
        token = token_from_header(_header(scope, b"authorization") or "")
        if not origin_allowed(scope, has_token=token is not None):
            await send({"type": "websocket.close", "code": 4403})  # before accept: the handshake gets 403
            return
        if token is not None:
            user = await database_sync_to_async(user_for_token)(token)
        else:
            user = await get_user(scope)
        # Which token it was, for streams that check while open that it has not been revoked.
        scope = dict(scope, user=user or AnonymousUser(), token_digest=token_digest(token) if token else None)
        return await super().__call__(scope, receive, send)


def websocket_auth_stack(inner):
    return SessionMiddlewareStack(WebsocketAuthMiddleware(inner))
