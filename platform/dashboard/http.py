"""The dashboard's plumbing: session login, the policy on every app and team page and action,
and errors as messages the page shows.

Views are declared with the action they need (`@app_view(Action.DEPLOY, "POST")`); the
decorator resolves the app or team through the policy (404 for outsiders, 403 for too low a
role), records the allowed methods and the action on the view (the access table test reads
them), and turns a UserError or a refusal raised further in into a 4xx answer: for htmx
requests a message swapped into the page's #flash area, else a page of its own.
"""
import functools
import logging
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from access.policy import Action, grants, team_for
from applications.selectors import app_for
from paas.errors import NotFound, UserError
from paas.failures import REDIS_DOWN, redis_lost

log = logging.getLogger(__name__)


class Abilities:
    """What the user may do in a team, for templates: {% if can.deploy %}...{% endif %}."""

    def __init__(self, actions: frozenset[Action]) -> None:
        self.view = Action.VIEW in actions
        self.deploy = Action.DEPLOY in actions
        self.operate = Action.OPERATE in actions
        self.manage = Action.MANAGE in actions


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def go(request: HttpRequest, url: str) -> HttpResponse:
    """After an action that leaves the page: htmx follows HX-Redirect, a plain form a redirect."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def problem(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if is_htmx(request):
        response = render(request, "dashboard/partials/flash.html", {"message": message, "level": "error"}, status=status)
        response["HX-Retarget"] = "#flash"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "dashboard/problem.html", {"message": message, "status": status}, status=status)


def _check_form_text(request: HttpRequest) -> None:
    """Refuse a posted form with a field whose bytes are not UTF-8. Django decodes form fields
    leniently (U+FFFD for each bad byte), which would store text the user never typed."""
    if request.method != "POST" or request.content_type != "application/x-www-form-urlencoded":
        return
    for pair in request.body.split(b"&"):
        name, _, value = (unquote_to_bytes(part.replace(b"+", b" ")) for part in pair.partition(b"="))
        try:
            name.decode("utf-8"), value.decode("utf-8")
        except UnicodeDecodeError:
            shown = name.decode("utf-8", "replace")
            raise UserError(f'the field "{shown}" holds text that is not valid Unicode (UTF-8)') from None


def _guarded(view: Callable, methods: tuple[str, ...], action: Action | None, resolve) -> Callable:
    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.method not in methods:
            return HttpResponseNotAllowed(methods)
        try:
            resolved = resolve(request, args, kwargs)
            _check_form_text(request)
            return view(request, *resolved)
        except NotFound:
            raise Http404("No such page") from None
        except UserError as error:
            return problem(request, error.status, str(error))
        except REDIS_DOWN:
            log.exception("%s %s: Redis went away", request.method, request.path)
            return problem(request, 503, redis_lost())

    wrapper.allowed_methods = methods
    wrapper.required_action = action
    return wrapper


def user_view(*methods: str):
    """A page or action of the logged-in user's own (their apps, teams, tokens)."""
    def decorate(view):
        return _guarded(view, methods, None, lambda request, args, kwargs: (*args, *kwargs.values()))
    return decorate


def _scoped_view(lookup, kwarg: str, team_id_of):
    """A decorator factory for views of one app or one team, named by the URL's `kwarg`."""
    def view_decorator(action: Action, *methods: str):
        def resolve(request, args, kwargs):
            kwargs = dict(kwargs)
            scope = lookup(request.user, kwargs.pop(kwarg), action)
            request.can = Abilities(grants(request.user, team_id_of(scope)))
            return (scope, *args, *kwargs.values())

        return lambda view: _guarded(view, methods, action, resolve)

    return view_decorator


# A page or action on one app (or team): the view gets it, and request.can says what else the
# user may do there.
app_view = _scoped_view(app_for, "app_name", lambda app: app.team_id)
team_view = _scoped_view(team_for, "team_name", lambda team: team.pk)
