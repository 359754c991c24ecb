"""A wake asked for by a held request (the activator's, on one of its threads): the app's
rollout lock, within the health check's deadline, then applications.sleep.app_wake."""
from django.db import close_old_connections

from applications.locks import app_rollout_lock
from applications.models import App
from applications.release_plan import app_checks
from applications.sleep import WakeFailed, app_wake
from runtime.scheduler import Address, get_scheduler


def wake_for_request(app_id: int) -> list[Address]:
    """The addresses of the app's web processes once it is awake; WakeFailed with the reason."""
    close_old_connections()
    app = App.objects.filter(pk=app_id).first()
    if app is None:
        raise WakeFailed("no app is deployed here any more")
    checks = app_checks(app)
    # A rollout or restart holding the lock ends with the app awake (or failed): wait for it as
    # long as a wake's checks may take, then the app's own state says what to do.
    with app_rollout_lock(app, wait=checks.attempts * checks.interval + checks.timeout) as acquired:
        if not acquired:
            raise WakeFailed(f"{app.name} is being changed (a rollout or restart holds it) and did not finish in time")
        addresses = app_wake(get_scheduler(), app, "a request came in")
    if not addresses:
        raise WakeFailed(f"{app.name} has no web process to answer (its web quantity is 0)")
    return addresses
