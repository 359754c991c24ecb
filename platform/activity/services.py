"""Writing the activity log: every service that changes a team or an app records what it did."""
from django.contrib.auth.models import AbstractBaseUser

from activity.models import Activity


def activity_record(*, team_id: int, verb: str, text: str, actor: AbstractBaseUser | None = None, app=None,
                    app_name: str = "") -> Activity:
    """Record `text` ("Scaled web to 2") as done by `actor` (None: the platform) to the team,
    or to one of its apps (`app`, or only its name for one being deleted). Call inside the
    change's transaction, so a change that is rolled back leaves no record."""
    return Activity.objects.create(
        team_id=team_id,
        app=app,
        app_name=app.name if app is not None else app_name,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor.get_username() if actor is not None and actor.is_authenticated else "",
        verb=verb,
        text=text[:300],
    )
