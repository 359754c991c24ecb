"""Reads for apps and releases."""
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from access.policy import Action, check_app
from paas.errors import NotFound
from applications.hostnames import app_default_host_name
from applications.models import App, Release, ReleaseStatus


def apps_visible_to(user: AbstractBaseUser) -> QuerySet[App]:
    return App.objects.filter(team__memberships__user=user).select_related("team").order_by("name")


def app_for(user: AbstractBaseUser, name: str, action: Action) -> App:
    """The app, if the user may do `action` to it; raises the policy's NotFound/Forbidden."""
    app = App.objects.select_related("team").filter(name=name).first()
    if app is None:
        raise NotFound(f"app '{name}' not found")
    check_app(user, action, app)
    return app


def live_release(app: App) -> Release | None:
    return Release.objects.filter(app=app, status=ReleaseStatus.LIVE).order_by("-version").first()


def release_base(app: App) -> Release | None:
    """The release a config change builds on: the newest that is live or on its way to it."""
    return (
        app.releases.filter(status__in=[ReleaseStatus.PENDING, ReleaseStatus.DEPLOYING, ReleaseStatus.LIVE])
        .order_by("-version")
        .first()
    )


def app_url(app: App) -> str:
    return f"http://{app_default_host_name(app)}:{settings.PAAS_ROUTER_PORT}/"


def git_url(app: App) -> str:
    return f"http://{settings.PAAS_WEB_HOST}:{settings.PAAS_WEB_PORT}/git/{app.name}.git"
