"""Errors whose message is meant for the user; entry points turn them into 4xx answers."""


class UserError(Exception):
    status = 400


class Conflict(UserError):
    status = 409


class Missing(UserError):
    status = 404


class Unavailable(UserError):
    """A dependency of the platform is down: nothing was done, and the same request can succeed later."""

    status = 503
