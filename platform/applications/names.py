"""Whether an app name may be taken now, for a new app or a rename.

The database's unique constraint says no app has the name. That is not enough: a rename gives
its old name up in the database first and moves what carries the name afterwards (its
containers are started again under the new name, the router's host name moves), and the old
containers run on for a drain window after that. An app that took the name meanwhile would be
reconciled together with those containers and share their host name. So a name is reserved
while its rollout lock is held (a rename or a deletion holds it from start to end) and while
containers carrying it remain. The repository needs no reservation: it is keyed by the app's id
(builds/repositories.py).
"""
from collections.abc import Iterator
from contextlib import contextmanager

from applications.models import App
from applications.locks import name_rollout_lock
from paas.errors import Conflict
from runtime.processes import BackendError
from runtime.scheduler import Scheduler


@contextmanager
def name_reserved(name: str, scheduler: Scheduler) -> Iterator[None]:
    """Hold `name` (its rollout lock) while the caller takes it in the database; Conflict if a
    rename or deletion still holds it or processes of an app that had it are still stopping."""
    if App.objects.filter(name=name).exists():  # first: a rollout of that app holds the lock too
        raise Conflict(f"app name '{name}' is already taken")
    with name_rollout_lock(name, wait=False) as acquired:
        if not acquired:
            raise Conflict(f"app name '{name}' is being given up by a rename or deletion in progress; "
                           "try again when it is done")
        try:
            leftovers = scheduler.processes(name)
        except BackendError as error:
            raise Conflict(f"cannot tell whether app name '{name}' is free: {error}") from None
        if leftovers:
            raise Conflict(f"app name '{name}' was given up moments ago and the processes that had it "
                           "are still stopping; try again in a minute")
        yield


def name_available(name: str, scheduler: Scheduler) -> None:
    """Conflict, saying why, unless `name` could be taken right now (a request's early answer;
    the change itself takes it with name_reserved)."""
    with name_reserved(name, scheduler):
        pass
