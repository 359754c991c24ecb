"""The permission check shared by the log and metrics entry points (websockets, HTTP stream)."""
from access.policy import Action, Denied
from applications.models import App
from applications.selectors import app_for


def viewable_app(user, app_name: str) -> App | int:
    """The app if `user` may view it, else the websocket close code to answer with:
    4401 not authenticated, 4404 unknown app or outside its team (existence is not leaked),
    4403 a member whose role may not view."""
    if user is None or not user.is_authenticated:
        return 4401
    try:
        return app_for(user, app_name, Action.VIEW)
    except Denied as denied:
        return 4000 + denied.status
