"""What a push does in its git hooks: check the refs, queue the build, relay its output.

git moves the branch only after pre-receive exits 0, and a release must go live only from a
commit the branch holds (a web process killed mid-push once released a commit git then never
put on the branch). So the push has two steps. Pre-receive relays the build and the rollout up
to the point where the new release is started and health-checked (the output stream's READY);
a failure up to there rejects the push as before. Then it exits 0, git moves the branch, and
the worker, which waits for the branch to hold the commit (builds/pipeline.py), switches the
router; post-receive relays that end. A push that ends before the branch moves (its client
went away, the web process died, git refused the update) lets go of its push lock, and the
worker then drops the new release: nothing of that commit goes live.
"""
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import django_rq
import git
from django.conf import settings
from django.contrib.auth import get_user_model
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.worker import Worker

from applications.models import App
from builds.build_queue import build_wait
from builds.liveness import build_abandon, build_gone_reason
from builds.output import Ending, Ready, follow
from builds.push_lock import push_lock
from builds.ref_updates import ZERO, check_updates, parse_updates
from builds.repositories import branch_head, repository_path
from builds.services import build_create, build_job_id
from paas.leases import Lease
from paas.redis_client import redis_client

Say = Callable[[str], None]
CANCELLED = Ending(False, "the push was cancelled: its client went away")


@dataclass
class Push:
    """One push, from pre-receive until `git receive-pack` exits (`push_end`)."""

    app_name: str
    user_id: int
    push_id: str
    lock: Lease | None = None
    build_id: int | None = None
    started: float = 0.0
    output: Iterator | None = None
    ended: threading.Event = field(default_factory=threading.Event)


def _archive(app: App, commit: str, git_env: dict[str, str]) -> Callable[[Path], None]:
    # The pushed objects are still in git's quarantine: only the hook's variables make them readable.
    def write(path: Path) -> None:
        repo = git.Repo(repository_path(app.pk))
        with open(path, "wb") as out:
            repo.git.archive(commit, format="tar", output_stream=out, env=git_env)

    return write


def _say_failure(say: Say, reason: str) -> None:
    say("")
    say(f" !     {reason}")
    say("")


def pre_receive(push: Push, *, updates: str, git_env: dict[str, str], say: Say) -> int:
    """The pre-receive hook's answer: its output goes to `say`, and a non-zero code rejects the push."""
    ref_updates = parse_updates(updates)
    reason = check_updates(ref_updates)
    if reason is None:
        old, new, ref = ref_updates[0]
        push.started = time.monotonic()
        outcome = receive_push(push, old=old, commit=new, ref=ref, git_env=git_env, say=say)
        if isinstance(outcome, Ready):
            return 0  # git moves the branch now; post-receive relays the rest
        if outcome.succeeded:
            say(f"-----> {outcome.message} in {time.monotonic() - push.started:.1f}s")
            return 0
        reason = outcome.message
    _say_failure(say, reason)
    return 1


def post_receive(push: Push, *, say: Say) -> int:
    """git has moved the branch: relay the release's going live (git ignores the code)."""
    if push.output is None:
        return 0
    outcome = _follow(push, say)
    if isinstance(outcome, Ending) and outcome.succeeded:
        say(f"-----> {outcome.message} in {time.monotonic() - push.started:.1f}s")
    else:
        _say_failure(say, outcome.message if isinstance(outcome, Ending) else "the release did not go live")
    return 0


def receive_push(push: Push, *, old: str, commit: str, ref: str, git_env: dict[str, str], say: Say) -> Ending | Ready:
    """Build a pushed commit and roll it out up to READY, one push per app at a time.

    The push lock's token is the push's id and, once pre-receive has accepted the push, it
    outlives this hook: git moves the branch only after pre-receive exits, so `push_end` lets go
    once `git receive-pack` has exited. Otherwise a second push could check the branch before it
    moved and go live while git then refuses to move the branch for it."""
    app = App.objects.get(name=push.app_name)
    user = get_user_model().objects.get(pk=push.user_id)
    if not Worker.all(queue=django_rq.get_queue(settings.PAAS_BUILD_QUEUE)):
        return Ending(False, "no build worker is running on this platform; start it with `make up`")

    push.lock = push_lock(app.name, push.push_id)
    if not _take(push, say):
        return CANCELLED if push.ended.is_set() else Ending(False, "another push to this app is still running; try again later")
    outcome: Ending | Ready = Ending(False, "the push was interrupted")
    try:
        if (branch_head(app.pk, ref) or ZERO) != old:
            outcome = Ending(False, "another push updated this branch meanwhile; fetch, merge and push again")
        else:
            outcome = _build_and_follow(push, app, user, commit, ref, git_env, say)
        return outcome
    finally:
        if not isinstance(outcome, Ready) and not outcome.succeeded:
            push.lock.release()


def _take(push: Push, say: Say) -> bool:
    """The app's push lock, waiting for another push to finish unless this one ends meanwhile."""
    if push.lock.acquire():
        return True
    say("-----> Waiting for another push to this app to finish (an app's pushes take turns)")
    began = last_said = time.monotonic()
    deadline = began + settings.PAAS_BUILD_TIMEOUT
    while time.monotonic() < deadline and not push.ended.is_set():
        if time.monotonic() - last_said >= QueueNews.REPEAT_SECONDS:  # never silent for long
            say(f"-----> Still waiting for another push to this app to finish ({time.monotonic() - began:.0f}s)")
            last_said = time.monotonic()
        if push.lock.acquire(wait=1):
            if push.ended.is_set():  # its client left while it waited
                push.lock.release()
                return False
            return True
    return False


def push_end(push: Push) -> None:
    """Called once the push's `git receive-pack` has exited: it has moved the branch, or never will."""
    push.ended.set()
    if push.lock is not None:
        push.lock.release()


def _build_and_follow(push: Push, app: App, user, commit: str, ref: str, git_env: dict[str, str], say: Say) -> Ending | Ready:
    build = build_create(
        app=app, user=user, commit=commit, ref=ref, push_id=push.push_id, write_source=_archive(app, commit, git_env)
    )
    push.build_id = build.pk
    push.output = follow(build.pk)
    say(f"-----> Build {build.pk} queued for {app.name} ({commit[:7]})")
    return _follow(push, say)


class QueueNews:
    """While the build waits for a worker, a line on what it waits for: when that changes, and
    at least every REPEAT_SECONDS meanwhile (the seconds the builds ahead have run go on)."""

    REPEAT_SECONDS = 8.0

    def __init__(self, build_id: int, say: Say) -> None:
        self.build_id = build_id
        self.say = say
        self.waiting = True
        self.last_key: tuple | None = None
        self.last_said = 0.0

    def tell(self) -> None:
        if not self.waiting:
            return
        wait = build_wait(self.build_id)
        if wait is None:
            self.waiting = False  # a worker took it: its own output follows
            return
        if wait.key != self.last_key or time.monotonic() - self.last_said >= self.REPEAT_SECONDS:
            self.say(f"-----> {wait.text()}")
            self.last_key, self.last_said = wait.key, time.monotonic()


def _follow(push: Push, say: Say) -> Ending | Ready:
    """Relay the build's output up to READY or its end, while the build's job lives."""
    deadline = time.monotonic() + settings.PAAS_BUILD_TIMEOUT
    job_id = build_job_id(push.build_id)
    news = QueueNews(push.build_id, say)
    for item in push.output:
        if isinstance(item, (Ending, Ready)):
            return item
        if push.ended.is_set():
            _cancel_if_queued(push.build_id, job_id, CANCELLED.message)
            return CANCELLED
        if item is not None:
            news.waiting = False
            say(item)
            continue
        news.tell()
        if reason := build_gone_reason(push.build_id):
            build_abandon(push.build_id, reason)
            return Ending(False, reason)
        if time.monotonic() > deadline:
            reason = f"the build did not finish within {settings.PAAS_BUILD_TIMEOUT}s"
            _cancel_if_queued(push.build_id, job_id, reason)
            return Ending(False, reason)
    return Ending(False, "the build output ended without an outcome")


def _cancel_if_queued(build_id: int, job_id: str, reason: str) -> None:
    """A push that gave up must not go live later: drop its build if no worker took it yet
    (a build already running sees that its push is gone before it releases anything)."""
    try:
        job = Job.fetch(job_id, connection=redis_client())
    except NoSuchJobError:
        return
    if job.get_status(refresh=True) == JobStatus.QUEUED:
        job.cancel()
        build_abandon(build_id, reason)
