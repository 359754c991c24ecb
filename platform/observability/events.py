"""Platform events in an app's log stream ("Release v5 created by alice", "web.2 crashed")."""
from django.db import transaction

from observability import logstream


def platform_event(app_id: int, text: str) -> None:
    """Log `text` once the surrounding transaction commits (at once outside one), so an event
    never describes a change that was rolled back. Robust: Redis being away costs the line, never
    the callbacks after it (the rollout's queueing) nor the answer to a change that is saved."""
    transaction.on_commit(lambda: logstream.say(app_id, "platform", text), robust=True)
