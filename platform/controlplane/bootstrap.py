"""First-run state: the admin user, the default team, and a fresh admin token on every start."""
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


@transaction.atomic
def bootstrap() -> dict[str, Path]:
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
    if token_file.exists():
        # The token written last time is replaced, not left valid forever.
        ApiToken.objects.filter(user=user, digest=token_digest(token_file.read_text().strip())).delete()
    _write_private(token_file, token_create(user=user, description="written by make up"))
    return {"token": token_file, "password": password_file}
