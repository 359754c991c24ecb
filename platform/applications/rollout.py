"""Blue/green rollout of a release.

Start the new release's web process beside the old one, wait until it answers HTTP, switch the
router, and only then retire the old processes after a drain window. Until the router switch
nothing that serves traffic has changed, so any failure before it leaves the old release
serving untouched.
"""
import time
from collections.abc import Callable
from contextlib import contextmanager

import django_rq
from django.conf import settings

from applications.models import App, Release, ReleaseStatus
from applications.selectors import live_release
from applications.services import release_go_live, release_mark
from router import nginx
from runtime.backend import Backend, BackendError, Process, ProcessSpec, get_backend
from runtime.healthcheck import NotReady, wait_until_ready

Say = Callable[[str], None]


class RolloutFailed(Exception):
    pass


@contextmanager
def app_rollout_lock(app: App):
    """One rollout per app at a time, across all workers."""
    lock = django_rq.get_connection(settings.PAAS_BUILD_QUEUE).lock(
        f"paas:{settings.PAAS_INSTANCE}:rollout:{app.name}", timeout=3600, blocking_timeout=3600
    )
    if not lock.acquire():
        raise RolloutFailed(f"another rollout of {app.name} did not finish within an hour")
    try:
        yield
    finally:
        lock.release()


def _host(app: App) -> str:
    return f"{app.name}.{settings.PAAS_APPS_DOMAIN}"


def _failure(backend: Backend, process: Process, label: str, reason: str) -> RolloutFailed:
    """Remove the process and explain, with its exit code and last output, why it failed."""
    state = backend.state(process)
    output = backend.output_tail(process).rstrip()
    backend.remove(process)
    message = f"{label} {reason}"
    if state.exit_code is not None:
        message += f" (exit code {state.exit_code})"
    if output:
        message += f"\nLast output of {label}:\n{output}"
    return RolloutFailed(message)


def _start_checked(backend: Backend, spec: ProcessSpec, app: App, say: Say) -> Process:
    process = backend.start(spec)
    if process.address is None:
        # Docker drops the port binding of a container that has already exited.
        raise _failure(backend, process, spec.label, "exited before answering on $PORT")
    try:
        waited = wait_until_ready(
            process.address,
            host=_host(app),
            timeout=settings.PAAS_CHECK_TIMEOUT,
            still_running=lambda: backend.state(process).running,
        )
    except NotReady as reason:
        raise _failure(backend, process, spec.label, str(reason)) from None
    say(f"{spec.label} answered on $PORT after {waited:.1f}s")
    return process


def deploy(release: Release, say: Say) -> list[Process]:
    """Roll the release out; return the processes it replaced, still running, for `retire`."""
    app = release.app
    backend = get_backend()
    with app_rollout_lock(app):
        release_mark(release, ReleaseStatus.DEPLOYING)
        previous = backend.processes(app.name)
        spec = ProcessSpec(app=app.name, release=release.version, process_type="web", index=1, image=release.image)
        say(f"Starting {spec.label} of v{release.version}")
        started = None
        try:
            started = _start_checked(backend, spec, app, say)
            nginx.route_app(app.name, [started.address])
        except BaseException as error:
            # Whatever went wrong, the router still points at the old processes: drop the new one.
            if started is not None:
                backend.remove(started)
            expected = isinstance(error, (RolloutFailed, BackendError, nginx.RouterError))
            release_mark(release, ReleaseStatus.FAILED, str(error) if expected else f"internal error: {error!r}")
            if expected:
                raise RolloutFailed(str(error)) from None
            raise
        release_go_live(release)
    return [p for p in previous if p.id != started.id]


def retire(processes: list[Process], *, drain_seconds: float | None = None) -> None:
    """Stop processes the router no longer sends traffic to, once in-flight requests had time."""
    if not processes:
        return
    time.sleep(settings.PAAS_DRAIN_SECONDS if drain_seconds is None else drain_seconds)
    backend = get_backend()
    for process in processes:
        backend.stop(process, timeout=settings.PAAS_STOP_TIMEOUT)


def restore_routes() -> None:
    """Rebuild the router from the database (live releases) and the engine (their web processes)."""
    backend = get_backend()
    routes = {}
    for app in App.objects.all():
        release = live_release(app)
        if release is None:
            continue
        routes[app.name] = [
            p.address
            for p in backend.processes(app.name)
            if p.release == release.version and p.process_type == "web" and p.address and backend.state(p).running
        ]
    nginx.replace_all(routes)
