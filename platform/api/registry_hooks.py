"""REST endpoint for an app's registry webhook: its URL and token (admins; the token deploys)."""
from django.http import HttpRequest, JsonResponse

from access.policy import Action
from api.http import endpoint
from applications.selectors import app_for
from registry.selectors import webhook_url
from registry.services import webhook_get, webhook_rotate, webhook_token


@endpoint("GET", "POST")
def app_registry_webhook(request: HttpRequest, app_name: str) -> JsonResponse:
    """GET: the webhook (made on first use); POST: a new token, the old one refused from now on."""
    app = app_for(request.user, app_name, Action.MANAGE)
    tracked = webhook_rotate(app=app, user=request.user) if request.method == "POST" else webhook_get(app=app)
    return JsonResponse({"url": webhook_url(tracked), "token": webhook_token(tracked)})
