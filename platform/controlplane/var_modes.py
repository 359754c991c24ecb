"""The modes of the platform's state under var/: root's alone, as every process of the platform
runs as root, but for the path nginx's workers take.

The router's workers run as `nobody` and buffer request bodies and responses too large for
memory in var/router/temp/KIND/, which nginx creates 0700 and gives to nobody. To reach them
they need search permission (x, not read: no listing) on var/, var/router and var/router/temp,
so those three are 0711. Search alone reaches any name one knows (var/git, var/db.sqlite3), so
every other entry at the top of var/ and var/router is 0700 (directories) or 0600 (files).

manage.py's umask (077) gives whatever the platform creates these modes from the start;
`restrict()` also makes the three search-only and fixes what an earlier version left (0755 and
0644) when `make up` runs.
"""
import stat
from pathlib import Path

from django.conf import settings

SEARCH_ONLY = 0o711


def nginx_path() -> list[Path]:
    """The directories nginx's workers pass through to their temp dirs (router/nginx.py's layout)."""
    router = Path(settings.PAAS_ROUTER_DIR)
    return [Path(settings.VAR_DIR), router, router / "temp"]


def restrict() -> None:
    var, router, temp = nginx_path()
    temp.mkdir(parents=True, exist_ok=True)
    for directory in (var, router, temp):
        directory.chmod(SEARCH_ONLY)
    for path in (*var.iterdir(), *router.iterdir()):
        if path in (router, temp) or path.is_symlink():
            continue
        path.chmod(stat.S_IMODE(path.stat().st_mode) & 0o700)
