"""An app's queued work: the rollouts of releases with no build (config changes, rollbacks), the
app jobs (restart, rename, deletion, the maintenance switch), and waking the reconciler.

A config change or rollback is saved with its release `pending` before its rollout is queued, on
commit. If Redis goes away in between, or comes back empty and has lost the queue, the release
would wait for good: each reconciler pass queues the rollout of any such release again
(`stranded_rollouts_queue`), so a change the API accepted is always carried out."""
import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from applications.models import Release, ReleaseStatus
from paas import queueing
from paas.redis_client import redis_client
from runtime.scheduler import get_scheduler

log = logging.getLogger(__name__)

# A release younger than this may still have its rollout about to be queued by the request that made it.
STRANDED_AFTER_SECONDS = 5
LIVE_JOB = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def _release_job_id(release_id: int) -> str:
    return f"paas-{settings.PAAS_INSTANCE}-release-{release_id}"


def _enqueue_release(release_id: int) -> None:
    queueing.enqueue(settings.PAAS_DEPLOY_QUEUE, "applications.jobs.roll_out_release", release_id,
                     job_id=_release_job_id(release_id), job_timeout=3600)


def rollout_enqueue_on_commit(release) -> None:
    # The change is saved: if Redis refuses the job, the reconciler queues it once Redis answers.
    queueing.enqueue_on_commit(settings.PAAS_DEPLOY_QUEUE, "applications.jobs.roll_out_release", release.pk,
                               job_id=_release_job_id(release.pk), job_timeout=3600,
                               redis_error_left_to="the reconciler's sweep of stranded releases")


def _job_alive(job_id: str) -> bool:
    try:
        job = Job.fetch(job_id, connection=redis_client())
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in LIVE_JOB


def stranded_rollouts_queue() -> list[int]:
    """Queue the rollout of each release with no build that is still pending and whose job is
    gone (or ended without rolling it out); the ids queued. A release queued twice is rolled
    out once: the rollout skips a release that is no longer pending."""
    # Builds' releases are their build job's to roll out, right after the build: a push whose
    # build was lost must not go live later.
    pending = Release.objects.filter(
        status=ReleaseStatus.PENDING, build__isnull=True,
        created_at__lt=timezone.now() - timedelta(seconds=STRANDED_AFTER_SECONDS),
    ).order_by("pk")
    queued = []
    for release_id in pending.values_list("pk", flat=True):
        if not _job_alive(_release_job_id(release_id)):
            log.warning("release %s was pending with no rollout queued (Redis lost it); queueing it", release_id)
            _enqueue_release(release_id)
            queued.append(release_id)
    return queued


def enqueue_app_job_on_commit(job: str, *args) -> None:
    """Queue `applications.jobs.<job>(*args)` on the deploys queue once the change that asks for
    it is committed: the engine work of a restart, rename, deletion or maintenance switch,
    which waits for the app's rollout lock on a worker, never in a request."""
    queueing.enqueue_on_commit(settings.PAAS_DEPLOY_QUEUE, f"applications.jobs.{job}", *args, job_timeout=3600)


def image_available(image: str) -> bool:
    return bool(image) and get_scheduler().image_exists(image)


def _wake_key() -> str:
    return f"paas:{settings.PAAS_INSTANCE}:reconcile"


def wake_reconciler(app_name: str) -> None:
    """Ask the reconciler to look at this app now rather than at its next tick. Only a hint: a
    change it was asked for (scaling) is in the database, which every pass reads, so Redis being
    away costs a pass's delay, not the change."""
    redis = redis_client()
    try:
        redis.rpush(_wake_key(), app_name)
        redis.expire(_wake_key(), 300)
    except RedisError as error:
        log.warning("could not wake the reconciler for %s (%s); its next pass looks anyway", app_name, error)


# Below the shared client's read timeout (redis-py's default, 5 s), which a longer BLPOP would hit.
LONGEST_WAKE_WAIT = 4.0


def wait_for_wake(timeout: float) -> set[str]:
    """The apps someone asked to reconcile, waiting up to `timeout` seconds (at most
    LONGEST_WAKE_WAIT) for the first."""
    redis = redis_client()
    first = redis.blpop([_wake_key()], timeout=min(max(timeout, 0.01), LONGEST_WAKE_WAIT))
    if first is None:
        return set()
    names = {first[1].decode()}
    while (more := redis.lpop(_wake_key())) is not None:
        names.add(more.decode())
    return names
