"""Who is calling: an API token (Bearer, or Basic with the token as password, Heroku style)."""
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
