"""The modes of the platform's state under var/: root's alone, as every process of the platform
runs as root, but for the path nginx's workers take.

The router's workers run as `nobody` and buffer request bodies and responses too large for
memory in var/router/temp/KIND/, which nginx creates 0700 and gives to nobody. To reach them
they need search permission (x, not read: no listing) on var/, var/router and var/router/temp,
so those three are 0711; and to answer ACME challenges, var/router/acme and the directories
under it are too (their files are 0644: a token's name is unguessable and no one can list
them: router/challenges.py). Search alone reaches any name one knows (var/git, var/db.sqlite3), so
every other entry at the top of var/ and var/router is 0700 (directories) or 0600 (files).

manage.py's umask (077) gives whatever the platform creates these modes from the start;
`restrict()` also makes the three search-only and fixes what an earlier version left (0755 and
0644) when `make up` runs.
"""
import stat
from pathlib import Path

from django.conf import settings

from router.challenges import challenges_root

SEARCH_ONLY = 0o711


def nginx_path() -> list[Path]:
    """The directories nginx's workers pass through to their temp dirs and the ACME challenges
    (router/nginx.py's layout)."""
    router = Path(settings.PAAS_ROUTER_DIR)
    return [Path(settings.VAR_DIR), router, router / "temp", challenges_root()]


def restrict() -> None:
    searched = nginx_path()
    for directory in searched:
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(SEARCH_ONLY)
    var, router = searched[:2]
    for path in (*var.iterdir(), *router.iterdir()):
        if path in searched or path.is_symlink():
            continue
        path.chmod(stat.S_IMODE(path.stat().st_mode) & 0o700)
