"""The API's plumbing: token authentication, JSON in and out, and every error as JSON."""
import functools
import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.authentication import unauthenticated_reason, user_from_token_header
from applications.config_crypto import ConfigKeyError
from paas.errors import TooLarge, UserError, error, error_answer
from paas.failures import REDIS_DOWN, redis_lost
from runtime.processes import BackendError

log = logging.getLogger(__name__)


# No body of this API nests more than three levels; the cap keeps a hostile one from costing
# a deep walk (json.loads itself gives up, with a RecursionError, near 1,000 levels).
MAX_DEPTH = 32


def json_body(request: HttpRequest, kind: type = dict):
    """The request's JSON body, which must be a `kind` (an object, or a list) whose every text
    the database and the engine can take."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise TooLarge(f"the request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes") from None
    if not raw:
        return kind()
    try:
        body = json.loads(raw)
    except UnicodeDecodeError:
        raise UserError("the request body is not UTF-8 text") from None
    except ValueError:
        raise UserError("the request body is not valid JSON") from None
    except RecursionError:
        raise UserError(f"the request body nests deeper than {MAX_DEPTH} levels") from None
    _check_text(body)
    if not isinstance(body, kind):
        raise UserError(f"the request body must be a JSON {'object' if kind is dict else 'list'}")
    return body


def _check_text(body) -> None:
    """Refuse text that no field may hold, naming where it is: JSON's \\ud800 escapes decode to
    lone surrogates, which cannot be encoded (the database write fails), and a NUL cannot pass
    into an environment variable or a PostgreSQL text column. Iterative: depth is what a
    hostile body has plenty of."""
    pending = [(body, "", 1)]
    while pending:
        value, where, depth = pending.pop()
        if isinstance(value, str):
            _check_string(value, f'"{where}"' if where else "the request body")
            continue
        if isinstance(value, (dict, list)) and depth > MAX_DEPTH:
            raise UserError(f"the request body nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                inner = f"{where}.{_shown(key)}" if where else _shown(key)
                _check_string(key, f'the field name "{inner}"')
                pending.append((item, inner, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, f"{where}[{index}]", depth + 1) for index, item in enumerate(value))


def _shown(text: str) -> str:
    """`text` as a message can quote it, whatever it holds: control characters and quotes as
    JSON escapes them, lone surrogates as \\udXXX."""
    return json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8", "backslashreplace").decode("utf-8")


def _check_string(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(f"{where} holds text that is not valid Unicode (a lone surrogate such as \\ud800); "
                        f"send UTF-8 text") from None
    if "\x00" in text:
        raise UserError(f"{where} holds a NUL character (\\u0000), which no text here may hold")


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
                response = error(401, unauthenticated_reason(request))
                response["WWW-Authenticate"] = 'Bearer realm="paas"'
                return response
            try:
                return view(request, *args, **kwargs)
            except UserError as user_error:
                return error_answer(user_error)
            except ConfigKeyError as key_error:  # the install's fault, not the request's: no 500 page
                log.error("%s %s: %s", request.method, request.path, key_error)
                return error(503, f"the platform cannot decrypt what this needs: {key_error}")
            except BackendError as engine_error:  # the engine refused or failed: say what it said
                log.error("%s %s: %s", request.method, request.path, engine_error)
                return error(503, f"the Docker engine failed this request: {engine_error}; try again shortly")
            except REDIS_DOWN:  # gone under the request (changes ask for it first: needs_redis)
                log.exception("%s %s: Redis went away", request.method, request.path)
                return error(503, redis_lost())

        wrapper.allowed_methods = methods  # read by the access table test
        return wrapper

    return decorate


def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return error(404, f"no API endpoint at {request.path}")
