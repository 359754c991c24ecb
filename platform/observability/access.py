"""The permission check shared by the log and metrics entry points (websockets, HTTP stream):
asked when a stream opens, and again every RECHECK_SECONDS for as long as it stays open.

Asking again, rather than having each change of access announce itself, covers every way
access ends (a member removed, leaving, a team deleted, a token revoked, a session logged out
or a user deactivated, from the API, the dashboard or an admin's shell) with no hook in any of
them; it costs a few indexed reads per open stream every two seconds.
"""
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils.crypto import constant_time_compare

from access.policy import Action, check_app
from accounts.models import ApiToken
from applications.models import App
from applications.selectors import app_for
from paas.errors import UserError

RECHECK_SECONDS = 2.0


def viewable_app(user, app_name: str) -> App | int:
    """The app if `user` may view it, else the websocket close code to answer with:
    4401 not authenticated, 4404 unknown app or outside its team (existence is not leaked),
    4403 a member whose role may not view."""
    if user is None or not user.is_authenticated:
        return 4401
    try:
        return app_for(user, app_name, Action.VIEW)
    except UserError as refused:
        return 4000 + refused.status


@dataclass(frozen=True)
class StreamGrant:
    """Who opened a stream of which app, and with what: what is asked again while it is open."""

    user_id: int
    app_id: int
    token_digest: str | None = None  # the API token it was opened with
    session_key: str | None = None  # or the browser session


def access_revoked(grant: StreamGrant) -> int | None:
    """None while the stream may go on; else the close code that ends it: 4403 when what it
    was opened with is gone (the token, the session, the user), else the policy's answer as
    on connect (4404 outside the team or the app deleted, 4403 a role that may not view)."""
    user = _signed_in_user(grant)
    if user is None:
        return 4403
    app = App.objects.filter(pk=grant.app_id).only("name", "team_id").first()
    if app is None:
        return 4404
    try:
        check_app(user, Action.VIEW, app)
    except UserError as refused:
        return 4000 + refused.status
    return None


def _signed_in_user(grant: StreamGrant) -> AbstractBaseUser | None:
    if grant.token_digest is not None:
        token = ApiToken.objects.select_related("user").filter(digest=grant.token_digest, user_id=grant.user_id).first()
        return token.user if token is not None and token.user.is_active else None
    user = get_user_model().objects.filter(pk=grant.user_id, is_active=True).first()
    if user is None or grant.session_key is None:
        return user
    return user if _session_holds(grant.session_key, user) else None


def _session_holds(session_key: str, user: AbstractBaseUser) -> bool:
    """The session is still this user's login, as Django's auth.get_user would find it (an
    expired, logged-out or password-changed session is not), without its side effects."""
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key).load()
    if data.get(SESSION_KEY) != user._meta.pk.value_to_string(user):
        return False
    session_hash = data.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return any(constant_time_compare(session_hash, expected) for expected in hashes)
