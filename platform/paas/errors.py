"""Errors whose message is meant for the user, and the JSON answer that carries one.

Every entry point catches UserError alone and answers with its `status`; `code` names the kind
of error for a program, in the words of Heroku's Platform API error ids, so that a Heroku-style
body ({"id": ..., "message": ...}) needs nothing more. The permission policy raises two of
them: NotFound for a user outside the app's team, Forbidden for a role too low.
"""
from django.http import JsonResponse


class UserError(Exception):
    status = 400
    code = "invalid_params"


class Forbidden(UserError):
    """A member whose role may not do this."""

    status = 403
    code = "forbidden"


class Missing(UserError):
    """What the request names does not exist (a release, a build, a config var)."""

    status = 404
    code = "not_found"


class NotFound(Missing):
    """Not there for this user: an app or team outside their teams is told apart from a missing
    one by nothing, so its existence is not leaked (the dashboard answers its plain 404 page)."""


class Conflict(UserError):
    status = 409
    code = "conflict"


class TooLarge(UserError):
    status = 413
    code = "payload_too_large"


class Unavailable(UserError):
    """A dependency of the platform is down: nothing was done, and the same request can succeed later."""

    status = 503
    code = "unavailable"


def error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def error_answer(user_error: UserError) -> JsonResponse:
    """A refusal names its code beside the message ("id", as Heroku's bodies do); a 503 keeps
    the bare message that clients of a dependency failure already read."""
    extra = {"id": user_error.code} if user_error.status < 500 else {}
    return error(user_error.status, str(user_error), **extra)
