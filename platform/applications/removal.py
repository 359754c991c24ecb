"""Deleting an app: its containers, route, images, repository and log go, then its records.

The engine and router are cleaned first, under the app's rollout lock (so no rollout or
reconciler pass acts on it meanwhile): if that fails the app is still there to delete again,
rather than leaving containers no record knows of. The team's activity log keeps a line. No
lock outlives the app: its push lock is removed (a push still running sees it gone and
releases nothing) and its rollout lock is let go at the end. The request queues the deletion
(202); a job on the deploys queue does it, since it waits for the rollout lock."""
import logging

from django.db import transaction

from activity.services import activity_record
from applications import job_queue
from applications.models import App
from applications.locks import app_rollout_lock
from builds.liveness import build_abandon
from builds.models import BuildStatus
from builds.push_lock import push_lock_discard
from builds.repositories import repository_discard
from paas import logstream
from router import routing
from runtime.scheduler import get_scheduler

log = logging.getLogger(__name__)


def _end_builds(app: App) -> None:
    """A running build's steps are on the app's network: stop them (their push ends saying why)."""
    running = app.builds.filter(status__in=[BuildStatus.PENDING, BuildStatus.BUILDING])
    for build_id in running.values_list("pk", flat=True):
        build_abandon(build_id, "the app was deleted")


def app_delete_request(*, app: App, user) -> None:
    logstream.say(app.pk, "platform", f"Deleting the app ({user.get_username()})")
    job_queue.enqueue_app_job_on_commit("delete_app", app.pk, user.pk)


def app_delete(*, app: App, user) -> None:
    """Delete the app (the job behind app_delete_request); BackendError or RouterError, with the
    app still there to delete again, if the engine or the router refuses."""
    scheduler = get_scheduler()
    with app_rollout_lock(app):
        routing.remove_app(app.pk)
        _end_builds(app)
        scheduler.remove_app(app.pk, app.name)
        images = set(app.releases.values_list("image", flat=True)) | set(app.builds.values_list("image", flat=True))
        for image in sorted(filter(None, images)):
            if not scheduler.remove_image(image):
                log.warning("image %s of deleted app %s is still in use; left in place", image, app.name)
        repository_discard(app.pk)
        push_lock_discard(app.name)
        logstream.discard(app.pk)
        with transaction.atomic():
            activity_record(team_id=app.team_id, app_name=app.name, actor=user, verb="app", text=f"Deleted app {app.name}")
            app.delete()
