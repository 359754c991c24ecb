"""Who is calling: an API token (Bearer, or Basic with the token as password, Heroku style), and
why a call is refused: sending no token and sending a wrong or revoked one are fixed differently."""
import base64
import binascii

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest

from accounts.services import user_for_token


def token_from_header(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def user_from_token_header(request: HttpRequest) -> AbstractBaseUser | None:
    token = token_from_header(request.headers.get("Authorization", ""))
    return user_for_token(token) if token else None


NO_TOKEN = "authentication required: send Authorization: Bearer <API token>"
TOKEN_REFUSED = (
    "the token was refused: it is not valid or was revoked; create a new one on the dashboard's "
    "API tokens page (or run `make admin-token` for a new admin token)"
)


def token_refused(request: HttpRequest) -> bool:
    """The request sent a token that matches no active user's (as opposed to sending none)."""
    return token_from_header(request.headers.get("Authorization", "")) is not None


def unauthenticated_reason(request: HttpRequest, *, no_token: str = NO_TOKEN) -> str:
    """Why `user_from_token_header` found no user: the token was refused, or none came (`no_token`)."""
    return TOKEN_REFUSED if token_refused(request) else no_token
