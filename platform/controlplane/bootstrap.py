"""First-run state: the admin user, the default team and the admin's API token in var/.

The token is kept while it is valid (a monitoring script may hold it); a new one, revoking the
old, is written on the first run, when the old one no longer works, or when asked for
(`make admin-token`, `platform_up --new-admin-token`)."""
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import ApiToken, Role, Team
from accounts.services import team_add_member, token_create, token_digest

ADMIN = "admin"
DEFAULT_TEAM = "default"


def _write_private(path: Path, text: str) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text + "\n")


def _still_valid(user, token_file: Path) -> bool:
    token = token_file.read_text().strip() if token_file.exists() else ""
    return bool(token) and ApiToken.objects.filter(user=user, digest=token_digest(token)).exists()


def _renew_token(token_file: Path, user) -> None:
    """Write a new admin token to `token_file`; the one it held stops working."""
    if token_file.exists():
        ApiToken.objects.filter(user=user, digest=token_digest(token_file.read_text().strip())).delete()
    _write_private(token_file, token_create(user=user, description="written by make up"))


@transaction.atomic
def bootstrap(*, new_token: bool = False) -> dict[str, Path]:
    var = Path(settings.VAR_DIR)
    token_file, password_file = var / "admin.token", var / "admin.password"
    user, created = get_user_model().objects.get_or_create(username=ADMIN, defaults={"is_staff": True, "is_superuser": True})
    if created or not password_file.exists():
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save()
        _write_private(password_file, password)
    team, _ = Team.objects.get_or_create(name=DEFAULT_TEAM)
    if not team.memberships.filter(user=user).exists():
        team_add_member(team=team, user=user, role=Role.ADMIN)
    if new_token or not _still_valid(user, token_file):
        _renew_token(token_file, user)
    return {"token": token_file, "password": password_file}
