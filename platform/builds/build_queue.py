"""Where a queued build stands: the builds the build workers run now and those queued before it.

A push says this while its build waits (builds/receive.py), so a wait is never silent. One app
has at most one build queued or running (its pushes take turns: builds/push_lock.py), so with
N build workers (PAAS_BUILD_WORKERS) N apps build at once and the next app's build waits."""
from dataclasses import dataclass

import django_rq
from django.conf import settings
from django.utils import timezone
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.worker import Worker

from builds.models import Build, BuildStatus
from builds.services import build_job_id
from paas.redis_client import redis_client

SHOWN_AHEAD = 5  # builds named in the line; the rest are counted


@dataclass(frozen=True)
class Ahead:
    """A build a worker runs (`running`), or one queued before ours."""

    app: str
    build_id: int
    running: bool
    seconds: float | None = None  # how long it has run, once it has started
    releasing: bool = False  # built: its job is rolling the release out

    def text(self) -> str:
        what = f"{self.app} build {self.build_id}"
        if not self.running:
            return f"{what} queued"
        if self.releasing:
            return f"{what} releasing"
        return f"{what} running {self.seconds:.0f}s" if self.seconds is not None else f"{what} starting"


@dataclass(frozen=True)
class Wait:
    workers: int
    ahead: tuple[Ahead, ...]

    @property
    def key(self) -> tuple:
        """What the push repeats a line for when it changes (not the seconds, which always do)."""
        return self.workers, tuple((a.build_id, a.running, a.releasing) for a in self.ahead)

    def text(self) -> str:
        count = len(self.ahead)
        named = ", ".join(a.text() for a in self.ahead[:SHOWN_AHEAD])
        if count > SHOWN_AHEAD:
            named += f" and {count - SHOWN_AHEAD} more"
        workers = f"{self.workers} build worker{'s' if self.workers != 1 else ''}"
        if count == 0:
            return f"Waiting for a build worker to take it ({workers} running)"
        ahead = f"{count} build{'s' if count != 1 else ''} ahead ({named})"
        return f"Waiting for a build worker: {ahead}; this platform runs {workers} (PAAS_BUILD_WORKERS)"


def _build_id(job_id: str) -> int | None:
    prefix = build_job_id(0).removesuffix("0")
    suffix = job_id.removeprefix(prefix)
    return int(suffix) if job_id.startswith(prefix) and suffix.isdigit() else None


def build_wait(build_id: int) -> Wait | None:
    """What the queued build waits for, or None once a worker has taken it (or it has ended)."""
    connection = redis_client()
    job_id = build_job_id(build_id)
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return None
    if job.get_status(refresh=False) != JobStatus.QUEUED:
        return None
    queue = django_rq.get_queue(settings.PAAS_BUILD_QUEUE)
    queued = queue.get_job_ids()
    if job_id not in queued:
        return None  # a worker is taking it this moment
    started = StartedJobRegistry(queue=queue).get_job_ids(cleanup=False)
    ids = [(_build_id(i), True) for i in started] + [(_build_id(i), False) for i in queued[: queued.index(job_id)]]
    builds = Build.objects.select_related("app").in_bulk([i for i, _ in ids if i is not None])
    now = timezone.now()
    ahead = []
    for other_id, running in ids:
        build = builds.get(other_id)
        if build is None:
            continue  # not a build of this platform's database (or deleted with its app)
        seconds = (now - build.started_at).total_seconds() if running and build.started_at else None
        releasing = running and build.status == BuildStatus.SUCCEEDED
        ahead.append(Ahead(build.app.name, build.pk, running, seconds, releasing))
    return Wait(len(Worker.all(queue=queue)), tuple(ahead))
