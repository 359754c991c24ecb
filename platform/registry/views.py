"""The registry webhook: the URL a registry (or Docker Hub) notifies of pushes.

Not role-based: the app's webhook token is the credential (a registry is no user), sent as
`Authorization: Bearer TOKEN` or, for senders that cannot set headers, `?token=TOKEN`. It
answers fast (202): the events are recorded and the pulls and deploys are queued."""
import json
import logging

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from applications.config_crypto import ConfigKeyError
from paas.errors import UserError, error, error_answer
from registry.notifications import ENVELOPE_MEDIA_TYPE, events_from
from registry.selectors import hook_for
from registry.services import notifications_receive, webhook_token_matches

log = logging.getLogger(__name__)

CONTENT_TYPES = {ENVELOPE_MEDIA_TYPE, "application/json", ""}


def _presented_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.GET.get("token")


@csrf_exempt
def registry_hook(request: HttpRequest, hook_id: str) -> JsonResponse:
    if request.method != "POST":
        response = error(405, f"{request.method} is not allowed here; registries POST their notifications")
        response["Allow"] = "POST"
        return response
    tracked = hook_for(hook_id)
    if tracked is None:
        return error(404, "no registry webhook at this URL; GET /api/apps/APP/registry-webhook gives the app's")
    try:
        if not webhook_token_matches(tracked, _presented_token(request)):
            response = error(401, "a missing or wrong webhook token: send Authorization: Bearer TOKEN (or ?token=TOKEN) "
                                  "with the token GET /api/apps/APP/registry-webhook shows")
            response["WWW-Authenticate"] = 'Bearer realm="paas registry webhook"'
            return response
    except ConfigKeyError as key_error:
        log.error("registry webhook of app %s: %s", tracked.app.name, key_error)
        return error(503, "the platform cannot read this webhook's token; its operator must restore a config key")
    content_type = request.content_type or ""
    if content_type not in CONTENT_TYPES:
        return error(415, f"send JSON ({ENVELOPE_MEDIA_TYPE} or application/json), not {content_type}")
    try:
        body = json.loads(request.body)
    except RequestDataTooBig:
        return error(413, "the notification is too large")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep to read
        return error(400, "the body is not valid JSON")
    try:
        events = events_from(body, received_at=timezone.now())
    except UserError as bad:
        return error_answer(bad)
    receipt = notifications_receive(tracked=tracked, events=events)
    return JsonResponse(receipt.as_json(), status=202)


registry_hook.allowed_methods = ("POST",)  # read by the access table test
