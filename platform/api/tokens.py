"""REST endpoints for the caller's own API tokens."""
from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts.selectors import tokens_of
from accounts.services import token_issue, token_revoke
from api.http import endpoint, json_body
from api.serializers import token_json


@endpoint("GET", "POST")
def token_list(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        record, secret = token_issue(user=request.user, description=json_body(request).get("description", ""))
        # The token itself is in this answer only: just its digest is stored.
        return JsonResponse({**token_json(record), "token": secret}, status=201)
    return JsonResponse([token_json(token) for token in tokens_of(request.user)], safe=False)


@endpoint("DELETE")
def token_detail(request: HttpRequest, token_id: int) -> HttpResponse:
    token_revoke(user=request.user, token_id=token_id)
    return HttpResponse(status=204)
