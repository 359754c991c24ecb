"""Writes for users, teams and tokens."""
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, Membership, Role, Team
from paas.errors import Missing, UserError

TOKEN_PREFIX = "paas_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


MAX_DESCRIPTION = 200


def token_issue(*, user: AbstractBaseUser, description: str = "") -> tuple[ApiToken, str]:
    """A new API token for the user: its record, and the token, which is never retrievable again."""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION or "\x00" in description:
        raise UserError(f"a token's description is text of at most {MAX_DESCRIPTION} characters, with no NUL")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return ApiToken.objects.create(user=user, digest=token_digest(token), description=description), token


def token_create(*, user: AbstractBaseUser, description: str = "") -> str:
    return token_issue(user=user, description=description)[1]


def token_revoke(*, user: AbstractBaseUser, token_id: int) -> None:
    """Revoke one of the user's own tokens; Missing if they have none with that id."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise Missing(f"you have no token {token_id}")


def user_for_token(token: str) -> AbstractBaseUser | None:
    """The active user owning this token, or None."""
    if not token:
        return None
    api_token = ApiToken.objects.select_related("user").filter(digest=token_digest(token)).first()
    if api_token is None or not api_token.user.is_active:
        return None
    ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=timezone.now())
    return api_token.user


def user_get_or_create(*, username: str) -> AbstractBaseUser:
    user, _ = get_user_model().objects.get_or_create(username=username)
    return user


@transaction.atomic
def team_add_member(*, team: Team, user: AbstractBaseUser, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(team=team, user=user, defaults={"role": Role(role)})
    return membership
