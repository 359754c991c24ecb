"""What a push does once its refs are acceptable: queue the build and relay its output."""
import time
from collections.abc import Callable
from pathlib import Path

import django_rq
import git
from django.conf import settings
from django.contrib.auth import get_user_model
from rq.job import Job, JobStatus
from rq.worker import Worker

from applications.models import App
from builds.output import Ending, follow
from builds.repositories import repository_path
from builds.services import build_create, build_job_id

DEAD_JOB = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def _archive(app: App, commit: str) -> Callable[[Path], None]:
    # The hook runs with git's quarantine variables set, so the new objects are readable here.
    def write(path: Path) -> None:
        repo = git.Repo(repository_path(app.name))
        with open(path, "wb") as out:
            repo.git.archive(commit, format="tar", output_stream=out)

    return write


def _job_gone(job_id: str) -> str | None:
    """Why the build's job can no longer produce output, or None while it may."""
    connection = django_rq.get_connection(settings.PAAS_BUILD_QUEUE)
    try:
        job = Job.fetch(job_id, connection=connection)
    except Exception:
        return "the build job disappeared from the queue (was Redis restarted?)"
    status = job.get_status(refresh=True)
    if status in DEAD_JOB:
        return f"the build worker stopped the build ({status}); see the worker log"
    return None


def receive_push(*, app_name: str, user_id: int, commit: str, ref: str, say: Callable[[str], None]) -> Ending:
    app = App.objects.get(name=app_name)
    user = get_user_model().objects.get(pk=user_id)
    queue = django_rq.get_queue(settings.PAAS_BUILD_QUEUE)
    if not Worker.all(queue=queue):
        return Ending(False, "no build worker is running on this platform; start it with `make up`")

    build = build_create(app=app, user=user, commit=commit, ref=ref, write_source=_archive(app, commit))
    job_id = build_job_id(build.pk)
    say(f"-----> Build {build.pk} queued for {app.name} ({commit[:7]})")
    deadline = time.monotonic() + settings.PAAS_BUILD_TIMEOUT
    for item in follow(build.pk):
        if isinstance(item, Ending):
            return item
        if item is not None:
            say(item)
            continue
        if reason := _job_gone(job_id):
            return Ending(False, reason)
        if time.monotonic() > deadline:
            return Ending(False, f"the build did not finish within {settings.PAAS_BUILD_TIMEOUT}s")
    return Ending(False, "the build output ended without an outcome")
