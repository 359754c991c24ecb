"""Platform events in an app's log stream ("Release v5 created by alice", "web.2 crashed")."""
from django.db import transaction

from observability import logstream


def platform_event(app_id: int, text: str) -> None:
    """Log `text` once the surrounding transaction commits (at once outside one), so an event
    never describes a change that was rolled back."""
    transaction.on_commit(lambda: logstream.say(app_id, "platform", text))
