"""Reads the dashboard's pages need, each in a fixed number of queries however many apps and
releases there are (tests/integration/test_dashboard_queries.py holds them to it)."""
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import OuterRef, Subquery

from accounts.models import Membership, Role
from applications.models import App, Release, ReleaseStatus
from applications.selectors import app_url, apps_visible_to

RELEASES_SHOWN = 100


@dataclass(frozen=True)
class AppRow:
    app: App
    live_version: int | None
    live_since: datetime | None
    last_status: str | None  # of the newest release: a failed deploy shows even while an older one serves
    url: str


def app_rows(user: AbstractBaseUser) -> list[AppRow]:
    live = Release.objects.filter(app=OuterRef("pk"), status=ReleaseStatus.LIVE).order_by("-version")
    newest = Release.objects.filter(app=OuterRef("pk")).order_by("-version")
    apps = apps_visible_to(user).annotate(
        live_version=Subquery(live.values("version")[:1]),
        live_since=Subquery(live.values("created_at")[:1]),
        last_status=Subquery(newest.values("status")[:1]),
    )
    return [AppRow(app, app.live_version, app.live_since, app.last_status, app_url(app)) for app in apps]


def teams_where_admin(user: AbstractBaseUser) -> list[str]:
    """Names of the teams the user may create apps in."""
    return list(
        Membership.objects.filter(user=user, role=Role.ADMIN).order_by("team__name").values_list("team__name", flat=True)
    )


def releases_of(app: App) -> list[Release]:
    return list(app.releases.select_related("created_by")[:RELEASES_SHOWN])
