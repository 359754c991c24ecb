"""Whether a build's job still runs, and the end of builds whose job died.

The job holds a lease (paas/leases.py) from start to end, renewed by a thread of its rq
work-horse. rq notices a killed work-horse at once (the job fails), but not a killed worker:
its horse dies with it (paas/rq_worker.py) and the job stays `started` until rq's own
heartbeat lapses, minutes later. The lease lapses within seconds. A push watching the build
asks `build_gone_reason` whenever the build's output is idle; the reconciler sweeps the builds
nobody watches (`builds_sweep`).
"""
import logging
import os
import re
from datetime import UTC, timedelta

from django.conf import settings
from django.utils import timezone
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from builds import output
from builds.build_cgroup import build_steps_kill
from builds.models import Build, BuildStatus
from builds.services import build_job_id
from paas.leases import Lease, lease_holder
from paas.redis_client import redis_client

log = logging.getLogger(__name__)

BUILD_LEASE_SECONDS = 6.0
DEAD_JOB = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
# A build row exists a moment before its job is queued (on commit): only older ones are orphans.
UNQUEUED_GRACE = timedelta(seconds=30)


def _key(build_id: int) -> str:
    return f"paas:{settings.PAAS_INSTANCE}:build:{build_id}:lease"


def build_lease(build_id: int) -> Lease:
    """Taken by the build's job for as long as it runs."""
    return Lease(_key(build_id), ttl=BUILD_LEASE_SECONDS, token=f"{os.environ.get('RQ_WORKER_ID', 'job')}:{os.getpid()}")


def _job_end(job: Job) -> str:
    """How rq saw the job end: `WORKER: what happened`."""
    result = job.latest_result()
    worker = job.worker_name or (result.worker_name if result is not None else "") or "its worker"
    text = (result.exc_string or "") if result is not None else ""
    if signal := re.search(r"\(signal (\d+)\)", text):
        return f"{worker}: its work-horse was killed by signal {signal.group(1)}"
    if job.get_status() == JobStatus.STOPPED:
        return f"{worker}: the job was stopped"
    last = text.strip().splitlines()[-1:] or ["the job failed"]
    return f"{worker}: {last[0][:200]}"


def build_gone_reason(build_id: int) -> str | None:
    """Why the build's job can no longer finish it, or None while it may."""
    try:
        job = Job.fetch(build_job_id(build_id), connection=redis_client())
    except NoSuchJobError:
        return "the build job disappeared from the queue (was Redis restarted?); push again"
    status = job.get_status(refresh=True)
    if status == JobStatus.CANCELED:
        return "the build was cancelled before a worker took it; push again"
    if status in DEAD_JOB:
        return f"the build worker stopped mid-build ({_job_end(job)}); push again"
    if status == JobStatus.STARTED and lease_holder(_key(build_id)) is None:
        started = job.started_at
        if started is not None and started.tzinfo is None:
            started = started.replace(tzinfo=UTC)  # rq writes UTC
        if started is not None and (timezone.now() - started).total_seconds() > BUILD_LEASE_SECONDS:
            return f"the build worker stopped mid-build ({job.worker_name or 'its worker'} was killed or lost); push again"
    return None


def build_abandon(build_id: int, reason: str) -> bool:
    """Mark a build whose job died failed with `reason`, end its output for whoever follows it,
    and stop the step the engine still runs for it. False if the build had ended already."""
    kept = "\n".join(output.lines_so_far(build_id))
    ended = Build.objects.filter(pk=build_id, status__in=[BuildStatus.PENDING, BuildStatus.BUILDING]).update(
        status=BuildStatus.FAILED, failure_reason=reason, output=kept, finished_at=timezone.now()
    )
    if not ended:
        return False
    output.end_stream(build_id, succeeded=False, message=f"Build failed: {reason}")
    try:
        build_steps_kill(build_id)
    except Exception:
        log.exception("stopping the engine's steps of build %s", build_id)
    return True


def builds_sweep() -> int:
    """End the builds whose job died with no push watching (a web process gone too); how many."""
    ended = 0
    old = timezone.now() - UNQUEUED_GRACE
    for build in Build.objects.filter(status__in=[BuildStatus.PENDING, BuildStatus.BUILDING]):
        reason = build_gone_reason(build.pk)
        if reason is None or (build.status == BuildStatus.PENDING and build.created_at > old):
            continue
        if build_abandon(build.pk, reason):
            log.warning("build %s of app %s failed: %s", build.pk, build.app_id, reason)
            ended += 1
    return ended
