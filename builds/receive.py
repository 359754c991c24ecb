"""What a push does in its pre-receive step: check the refs, queue the build, relay its output."""
import time
from collections.abc import Callable
from pathlib import Path

import django_rq
import git
from django.conf import settings
from django.contrib.auth import get_user_model
from redis.exceptions import LockError
from redis.lock import Lock
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.worker import Worker

from applications.models import App
from builds.output import Ending, follow
from builds.ref_updates import ZERO, check_updates, parse_updates
from builds.repositories import repository_path
from builds.services import build_create, build_job_id
from paas.redis_client import redis_client

DEAD_JOB = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
# How long a successful push keeps the app's push lock for git to move the branch.
REF_UPDATE_SECONDS = 60


def _archive(app: App, commit: str, git_env: dict[str, str]) -> Callable[[Path], None]:
    # The pushed objects are still in git's quarantine: only the hook's variables make them readable.
    def write(path: Path) -> None:
        repo = git.Repo(repository_path(app.pk))
        with open(path, "wb") as out:
            repo.git.archive(commit, format="tar", output_stream=out, env=git_env)

    return write


def _job_gone(job_id: str) -> str | None:
    """Why the build's job can no longer produce output, or None while it may."""
    connection = redis_client()
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return "the build job disappeared from the queue (was Redis restarted?)"
    status = job.get_status(refresh=True)
    if status in DEAD_JOB:
        return f"the build worker stopped the build ({status}); see the worker log"
    return None


def _branch_head(app: App, ref: str) -> str:
    try:
        return git.Repo(repository_path(app.pk)).git.rev_parse("--verify", "--quiet", ref)
    except git.GitCommandError:
        return ZERO


def _push_lock(app_name: str) -> Lock:
    return redis_client().lock(
        f"paas:{settings.PAAS_INSTANCE}:push:{app_name}",
        timeout=settings.PAAS_BUILD_TIMEOUT + 600,
        thread_local=False,
    )


def pre_receive(
    *, updates: str, git_env: dict[str, str], app_name: str, user_id: int, push_id: str, say: Callable[[str], None]
) -> int:
    """The pre-receive hook's answer: its output goes to `say`, and a non-zero code rejects the push."""
    ref_updates = parse_updates(updates)
    reason = check_updates(ref_updates)
    if reason is None:
        old, new, ref = ref_updates[0]
        started = time.monotonic()
        outcome = receive_push(
            app_name=app_name, user_id=user_id, push_id=push_id, old=old, commit=new, ref=ref, git_env=git_env, say=say
        )
        if outcome.succeeded:
            say(f"-----> {outcome.message} in {time.monotonic() - started:.1f}s")
            return 0
        reason = outcome.message
    say("")
    say(f" !     {reason}")
    say("")
    return 1


def receive_push(
    *,
    app_name: str,
    user_id: int,
    push_id: str,
    old: str,
    commit: str,
    ref: str,
    git_env: dict[str, str],
    say: Callable[[str], None],
) -> Ending:
    """Build and roll out a pushed commit, one push per app at a time.

    The lock's token is the push's id and, when the push succeeds, the lock outlives this hook:
    git moves the branch only after pre-receive exits, so the git endpoint releases it once
    `git receive-pack` has exited (`release_push_lock`). Otherwise a second push could check the
    branch before it moved and go live while git then refuses to move the branch for it."""
    app = App.objects.get(name=app_name)
    user = get_user_model().objects.get(pk=user_id)
    if not Worker.all(queue=django_rq.get_queue(settings.PAAS_BUILD_QUEUE)):
        return Ending(False, "no build worker is running on this platform; start it with `make up`")

    lock = _push_lock(app.name)
    if not lock.acquire(blocking=False, token=push_id):
        say("-----> Waiting for another push to this app to finish")
        if not lock.acquire(blocking_timeout=settings.PAAS_BUILD_TIMEOUT, token=push_id):
            return Ending(False, "another push to this app is still running; try again later")
    outcome = Ending(False, "the push was interrupted")
    try:
        if _branch_head(app, ref) != old:
            outcome = Ending(False, "another push updated this branch meanwhile; fetch, merge and push again")
        else:
            outcome = _build_and_follow(app, user, commit, ref, git_env, say)
        return outcome
    finally:
        if outcome.succeeded:
            lock.extend(REF_UPDATE_SECONDS, replace_ttl=True)  # in case the release never comes
        else:
            lock.release()


def push_in_progress(app_name: str) -> bool:
    return _push_lock(app_name).locked()


def release_push_lock(app_name: str, push_id: str) -> None:
    """Called once the push's `git receive-pack` has exited (and so has moved the branch)."""
    lock = _push_lock(app_name)
    lock.local.token = push_id.encode()
    try:
        lock.release()
    except LockError:
        pass  # expired already, or another push's lock


def _build_and_follow(
    app: App, user, commit: str, ref: str, git_env: dict[str, str], say: Callable[[str], None]
) -> Ending:
    build = build_create(app=app, user=user, commit=commit, ref=ref, write_source=_archive(app, commit, git_env))
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
            _cancel_if_queued(job_id)
            return Ending(False, f"the build did not finish within {settings.PAAS_BUILD_TIMEOUT}s")
    return Ending(False, "the build output ended without an outcome")


def _cancel_if_queued(job_id: str) -> None:
    """A push that gave up must not go live later: drop its build if no worker took it yet."""
    try:
        job = Job.fetch(job_id, connection=redis_client())
    except NoSuchJobError:
        return
    if job.get_status(refresh=True) == JobStatus.QUEUED:
        job.cancel()
