"""Blue/green rollout of a release.

Run the release phase, start the new release's whole formation beside the old one, health-check
every new web process, switch the router, and mark the release live. Until the router switch
nothing that serves traffic has changed, so any failure before it removes the new processes
and leaves the old release serving untouched. The old processes are not stopped here: the
reconciler retires them once the drain window after `retired_at` has passed, so a rollout never
holds a worker for the drain. The scheduler does the starting and checking; this module decides
whether and in what order, and keeps the release's record.
"""
import logging
import time
from collections.abc import Callable

from applications import config_crypto, job_queue
from applications.images import images_prune
from applications.locks import RolloutFailed, app_rollout_lock
from applications.models import App, Release, ReleaseStatus
from applications.release_plan import release_plan
from applications.selectors import live_release
from applications.services import release_go_live, release_mark, release_output_set
from applications.traffic import traffic_point
from paas import logstream
from router import routing
from runtime.processes import BackendError, Process
from runtime.scheduler import get_scheduler

log = logging.getLogger(__name__)

Say = Callable[[str], None]
OUTPUT_SAVE_SECONDS = 0.5

# Until the platform provides databases, a release phase's `migrate` without DATABASE_URL
# writes to a SQLite file in its own container, which is removed when it exits.
NO_DATABASE_WARNING = (
    "       warning: DATABASE_URL is not set: the release phase runs in a one-off container and its files are "
    "discarded, so `manage.py migrate` there changes no database the web processes use. "
    "Set DATABASE_URL to a database server."
)


def serving_after_failure(app: App) -> str:
    """What still serves the app once a rollout failed, for the push's last words."""
    live = live_release(app)
    if live is None:
        return "no release was serving before; nothing is live"
    return f"the previous release (v{live.version}) keeps serving"


def release_roll_out(release: Release, say: Say, *, before_switch: Callable[[], None] | None = None) -> bool:
    """Roll the release out; False if a newer release went live first (nothing to do then).
    `before_switch` runs once the new processes passed their checks; raising RolloutFailed
    there drops them (a push's branch must hold the commit first: builds/pipeline.py)."""
    app = release.app
    scheduler = get_scheduler()
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
            plan = release_plan(release)
            if plan.release_command:
                if not plan.env.get("DATABASE_URL"):
                    tell(NO_DATABASE_WARNING)
                tell(f"Running release command: {plan.release_command}")
                scheduler.release_phase(plan, tell)
            started = scheduler.start(plan, tell)
            if before_switch is not None:
                before_switch()
            traffic_point(app, scheduler.web_addresses(started))
        except BaseException as error:
            # Whatever went wrong, the router still points at the old processes: drop the new ones.
            scheduler.remove(started)
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
    job_queue.wake_reconciler(app.name)  # it stops the old containers after the drain window
    return True


def release_roll_out_unwatched(release: Release) -> None:
    """Roll out a release nobody watches live (a config change, a rollback, a registry push):
    its output goes to the app's log and the worker's; a failure is on the release's record."""
    try:
        release_roll_out(release, log.info)
    except RolloutFailed as error:
        log.warning("%s v%s failed: %s", release.app.name, release.version, error)
