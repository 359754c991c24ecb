"""The user's own API tokens: create (shown once), list, revoke."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import tokens_of
from accounts.services import token_issue, token_revoke
from dashboard.http import user_view


@user_view("GET")
def token_list(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/tokens.html", {"tokens": tokens_of(request.user)})


@user_view("POST")
def token_new(request: HttpRequest) -> HttpResponse:
    _, secret = token_issue(user=request.user, description=request.POST.get("description", "").strip())
    return render(request, "dashboard/partials/tokens.html", {"tokens": tokens_of(request.user), "secret": secret})


@user_view("POST")
def token_remove(request: HttpRequest, token_id: int) -> HttpResponse:
    token_revoke(user=request.user, token_id=token_id)
    return render(request, "dashboard/partials/tokens.html", {"tokens": tokens_of(request.user)})
