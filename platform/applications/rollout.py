"""Blue/green rollout of a release.

Run the release phase, start the new release's whole formation beside the old one, health-check
every new web container, switch the router, and mark the release live. Until the router switch
nothing that serves traffic has changed, so any failure before it removes the new containers
and leaves the old release serving untouched. The old containers are not stopped here: the
reconciler stops them once the drain window after `retired_at` has passed, so a rollout never
holds a worker for the drain.
"""
import time
from collections.abc import Callable, Iterable

from django.conf import settings

from applications import config_crypto, deploys
from applications.formation import formation_ensure
from applications.images import images_prune
from applications.locks import RolloutFailed, app_rollout_lock
from applications.models import App, Formation, Release, ReleaseStatus
from applications.procfile import RELEASE_PHASE, shell_command
from applications.selectors import live_release
from applications.services import release_go_live, release_mark, release_output_set
from observability import logstream
from router import routing
from router.forwarding import check_headers
from runtime.backend import Backend, BackendError, Process, ProcessSpec, get_backend
from runtime.healthcheck import CheckSettings, NotReady, wait_until_ready

Say = Callable[[str], None]
OUTPUT_SAVE_SECONDS = 0.5


def host_name(app: App) -> str:
    return f"{app.name}.{settings.PAAS_APPS_DOMAIN}"


def app_checks(app: App) -> CheckSettings:
    """The platform's defaults overridden by the app's own settings. A path the app sets names a
    health endpoint, so only 2xx and 3xx pass it; the default `/` passes any answer below 500."""
    checks = {**CheckSettings.defaults().__dict__, **(app.checks or {})}
    if (app.checks or {}).get("path"):
        checks["passing_below"] = 400
    return CheckSettings(**checks)


def process_spec(release: Release, row: Formation, index: int, env: dict[str, str]) -> ProcessSpec:
    label = f"{row.process_type}.{index}"
    return ProcessSpec(
        app=release.app.name,
        release=release.version,
        process_type=row.process_type,
        index=index,
        image=release.image,
        env={**env, "DYNO": label},
        command=shell_command(release.process_types.get(row.process_type, "")),
        memory_mb=row.memory_mb,
        cpus=row.cpus,
        app_id=release.app_id,
    )


def running_processes(backend: Backend, app: App, release: Release) -> list[Process]:
    """The app's processes of this release that are running now."""
    return [p for p in backend.processes(app.name) if p.release == release.version and backend.state(p).running]


def web_addresses(processes: Iterable[Process]) -> list[tuple[str, int]]:
    """Where the router sends the app's traffic: its web processes' published ports, by index.

    Not the containers' own IPs: when Docker stops a container it deletes the kernel's
    connection tracking entries for that IP, and a new connection through the app's endpoint
    that reuses an old one's source port can be deleted with them (it then hangs). Entries
    for a loopback port are left alone, and the port stays the same when the engine restarts
    the container (its IP may not)."""
    web = sorted((p for p in processes if p.process_type == "web" and p.address), key=lambda p: p.index)
    return [p.address for p in web]


def _failure(backend: Backend, process: Process, reason: str) -> RolloutFailed:
    """Explain, with its exit code and last output, why a new process failed."""
    state = backend.state(process)
    output = backend.output_tail(process).rstrip()
    message = f"{process.label} {reason}"
    if state.exit_code is not None:
        message += f" (exit code {state.exit_code})"
    if output:
        message += f"\nLast output of {process.label}:\n{output}"
    return RolloutFailed(message)


def check_ready(backend: Backend, process: Process, app: App, say: Say) -> None:
    """Raise RolloutFailed unless the new web process passes the app's health check."""
    if process.address is None:
        raise _failure(backend, process, "has no port published for the router")
    try:
        waited = wait_until_ready(
            process, host=host_name(app), check=app_checks(app), headers=check_headers(),
            still_running=lambda: backend.state(process).running,
        )
    except NotReady as reason:
        raise _failure(backend, process, str(reason)) from None
    say(f"{process.label} passed its health check after {waited:.1f}s")


# Until the platform provides databases, a release phase's `migrate` without DATABASE_URL
# writes to a SQLite file in its own container, which is removed when it exits.
NO_DATABASE_WARNING = (
    "       warning: DATABASE_URL is not set: the release phase runs in a one-off container and its files are "
    "discarded, so `manage.py migrate` there changes no database the web processes use. "
    "Set DATABASE_URL to a database server."
)


def _release_phase(backend: Backend, release: Release, env: dict[str, str], say: Say) -> None:
    command = release.process_types[RELEASE_PHASE]
    if not env.get("DATABASE_URL"):
        say(NO_DATABASE_WARNING)
    say(f"Running release command: {command}")
    spec = ProcessSpec(
        app=release.app.name,
        release=release.version,
        process_type=RELEASE_PHASE,
        index=1,
        image=release.image,
        env={**env, "DYNO": "release.1"},
        command=shell_command(command),
        memory_mb=settings.PAAS_DEFAULT_MEMORY_MB,
        cpus=settings.PAAS_DEFAULT_CPUS,
        app_id=release.app_id,
    )
    code = backend.run_once(spec, timeout=settings.PAAS_RELEASE_PHASE_TIMEOUT, on_output=lambda line: say(f"  {line}"))
    if code != 0:
        raise RolloutFailed(f"the release command exited with code {code}; nothing was changed")


def start_formation(backend: Backend, release: Release, env: dict[str, str], say: Say, started: list[Process]) -> None:
    """Start the release's whole formation (into `started`, so a caller can remove it on any
    failure) and check it: web processes pass the health check, the others keep running."""
    app = release.app
    for row in formation_ensure(app, release).values():
        for index in range(1, row.quantity + 1):
            spec = process_spec(release, row, index, env)
            say(f"Starting {spec.label} of v{release.version}")
            started.append(backend.start(spec))
    for process in started:
        if process.process_type == "web":
            check_ready(backend, process, app, say)
    for process in started:
        if process.process_type != "web" and not backend.state(process).running:
            raise _failure(backend, process, "exited right after it started")


def serving_after_failure(app: App) -> str:
    """What still serves the app once a rollout failed, for the push's last words."""
    live = live_release(app)
    if live is None:
        return "no release was serving before; nothing is live"
    return f"the previous release (v{live.version}) keeps serving"


def deploy(release: Release, say: Say, *, before_switch: Callable[[], None] | None = None) -> bool:
    """Roll the release out; False if a newer release went live first (nothing to do then).
    `before_switch` runs once the new processes passed their checks; raising RolloutFailed
    there drops them (a push's branch must hold the commit first: builds/pipeline.py)."""
    app = release.app
    backend = get_backend()
    lines: list[str] = []
    saved_at = 0.0

    def tell(text: str) -> None:
        nonlocal saved_at
        lines.append(text)
        say(text)
        logstream.say(app.pk, "platform", text)
        # The release's own record of its progress, which the dashboard shows while it runs;
        # written at most twice a second (a release phase can print thousands of lines).
        if time.monotonic() - saved_at >= OUTPUT_SAVE_SECONDS:
            release_output_set(release, lines)
            saved_at = time.monotonic()

    with app_rollout_lock(app):
        release.refresh_from_db(fields=["status"])
        if release.status != ReleaseStatus.PENDING:
            return False  # rolled out (or given up) already: its job was queued twice
        newer = app.releases.filter(status=ReleaseStatus.LIVE, version__gt=release.version).first()
        if newer is not None:
            # It carries this release's changes too: a release snapshots the app as it is when made.
            release_mark(release, ReleaseStatus.RETIRED, f"superseded by v{newer.version}, which went live first")
            tell(f"v{release.version} was superseded by v{newer.version} before its rollout")
            return False
        release_mark(release, ReleaseStatus.DEPLOYING)
        started: list[Process] = []
        try:
            env = config_crypto.decrypt(release.config_ciphertext)
            if release.process_types.get(RELEASE_PHASE):
                _release_phase(backend, release, env, tell)
            start_formation(backend, release, env, tell, started)
            if before_switch is not None:
                before_switch()
            routing.route_app(app.name, app.pk, web_addresses(started))
        except BaseException as error:
            # Whatever went wrong, the router still points at the old processes: drop the new ones.
            for process in started:
                backend.remove(process)
            expected = isinstance(error, (RolloutFailed, BackendError, routing.RouterError, config_crypto.ConfigKeyError))
            reason = str(error) if expected else f"internal error: {error!r}"
            release_mark(release, ReleaseStatus.FAILED, reason)
            release_output_set(release, lines)
            logstream.say(app.pk, "platform", f"Release v{release.version} failed: {reason}")
            if expected:
                raise RolloutFailed(str(error)) from None
            raise
        release_go_live(release)
        release_output_set(release, lines)
        logstream.say(app.pk, "platform", f"Release v{release.version} is live")
        images_prune(app)
    deploys.wake_reconciler(app.name)  # it stops the old containers after the drain window
    return True
