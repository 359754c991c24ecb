"""The ACME http-01 challenges the router answers: a file per token under the router's directory,
served at /.well-known/acme-challenge/TOKEN on plain HTTP for every host name (an app's blocks
and the default server alike, so a domain is validated before its app is first deployed). The
files are read by nginx as they are, so publishing one needs no reload."""
import os
import re
from pathlib import Path

from django.conf import settings

URL_PREFIX = "/.well-known/acme-challenge/"
# RFC 8555 tokens are base64url: anything else could name a path outside the directory.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,256}")


def challenges_root() -> Path:
    return Path(settings.PAAS_ROUTER_DIR) / "acme"


def _path(token: str) -> Path:
    if not _TOKEN.fullmatch(token):
        raise ValueError(f"not an ACME token: {token!r}")
    return challenges_root() / URL_PREFIX.strip("/") / token


def put(token: str, text: str) -> None:
    """nginx's workers run as nobody: they search the directories (0711, no listing) and read
    the file (0644; its name is the secret, and what it holds is public by design)."""
    path = _path(token)
    for directory in (challenges_root(), path.parent.parent, path.parent):  # acme/.well-known/acme-challenge
        directory.mkdir(exist_ok=True, parents=True)
        directory.chmod(0o711)
    tmp = path.with_name(f".{token}.tmp")
    tmp.write_text(text)
    tmp.chmod(0o644)
    os.replace(tmp, path)


def remove(token: str) -> None:
    _path(token).unlink(missing_ok=True)
