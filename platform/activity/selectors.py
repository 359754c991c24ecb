"""Reading the activity log, newest first."""
from django.db.models import QuerySet

from activity.models import Activity

PAGE = 100


def activity_of_app(app, *, limit: int = PAGE) -> QuerySet[Activity]:
    return Activity.objects.filter(app=app)[:limit]


def activity_of_team(team, *, limit: int = PAGE) -> QuerySet[Activity]:
    return Activity.objects.filter(team=team)[:limit]
