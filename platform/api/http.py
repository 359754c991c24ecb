"""The API's plumbing: token authentication, JSON in and out, and 4xx errors as JSON."""
import functools
import json
import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from access.policy import Denied
from accounts.authentication import user_from_token_header
from applications.config_crypto import ConfigKeyError
from paas.errors import UserError

log = logging.getLogger(__name__)


def error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def json_body(request: HttpRequest, kind: type = dict):
    """The request's JSON body, which must be a `kind` (an object, or a list)."""
    if not request.body:
        return kind()
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise UserError("the request body is not valid JSON") from None
    if not isinstance(body, kind):
        raise UserError(f"the request body must be a JSON {'object' if kind is dict else 'list'}")
    return body


def endpoint(*methods: str):
    """Authenticate by API token, allow only `methods`, and answer every failure as JSON."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                return error(405, f"{request.method} is not allowed here; use {', '.join(methods)}")
            request.user = user_from_token_header(request)
            if request.user is None:
                response = error(401, "authentication required: send Authorization: Bearer <API token>")
                response["WWW-Authenticate"] = 'Bearer realm="paas"'
                return response
            try:
                return view(request, *args, **kwargs)
            except Denied as denied:
                return error(denied.status, str(denied))
            except UserError as user_error:
                return error(user_error.status, str(user_error))
            except ConfigKeyError as key_error:  # the install's fault, not the request's: no 500 page
                log.error("%s %s: %s", request.method, request.path, key_error)
                return error(503, f"the platform cannot decrypt what this needs: {key_error}")

        wrapper.allowed_methods = methods  # read by the access table test
        return wrapper

    return decorate


def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return error(404, f"no API endpoint at {request.path}")
