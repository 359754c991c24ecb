"""A queued build, from source archive to live release: build the image, release, roll out.

Nothing of a push's commit goes live unless the push's branch holds it: the build is released
only while the push still holds its push lock, and the new release's router switch waits for
git to move the branch (builds/receive.py says why it comes in that order)."""
import logging
import time

from django.utils import timezone

from applications.build_settings import build_args
from applications.locks import RolloutFailed
from applications.rollout import release_roll_out, serving_after_failure
from applications.selectors import app_url, live_release
from applications.services import release_create
from applications.web_process import release_web_refusal
from builds import builders
from builds.errors import BuildFailed
from builds.models import Build, BuildStatus
from builds.output import BuildOutput
from builds.push_lock import push_alive
from builds.repositories import branch_head
from builds.services import image_tag, source_path
from builds.source import SourceArchive

log = logging.getLogger(__name__)

# How long a started release waits for git to move the branch once the push's hook has accepted it.
BRANCH_WAIT_SECONDS = 30.0
PUSH_GONE = "the push ended before its build was released (its client went away or the web process stopped); nothing was released"
BRANCH_NOT_UPDATED = "the push did not complete: the branch was not updated; nothing was released"


def _finish(build: Build, out: BuildOutput, status: BuildStatus, reason: str = "") -> None:
    build.status = status
    build.failure_reason = reason
    build.output = out.text
    build.finished_at = timezone.now()
    build.save(update_fields=["status", "failure_reason", "output", "finished_at", "image"])


def _keep_output(build: Build, out: BuildOutput) -> None:
    """The build record keeps the rollout's lines too, as the push showed them."""
    Build.objects.filter(pk=build.pk).update(output=out.text)


def _branch_holds(build: Build, push_id: str, out: BuildOutput):
    """The router switch's condition: the push's branch holds the build's commit."""

    def wait() -> None:
        out.ready()  # the push's pre-receive hook exits 0 on this, and git moves the branch
        deadline = time.monotonic() + BRANCH_WAIT_SECONDS
        while True:
            # The push first, then the branch: once the push has let go, git has moved it or never will.
            alive = push_alive(build.app.name, push_id)
            if branch_head(build.app_id, build.ref) == build.commit:
                return
            if not alive or time.monotonic() > deadline:
                raise RolloutFailed(BRANCH_NOT_UPDATED)
            time.sleep(0.2)

    return wait


def build_and_deploy(build_id: int, push_id: str) -> None:
    build = Build.objects.select_related("app", "created_by").get(pk=build_id)
    app = build.app
    out = BuildOutput(build.pk, app.pk)
    context = source_path(build.pk)
    build.started_at = timezone.now()
    Build.objects.filter(pk=build.pk).update(status=BuildStatus.BUILDING, started_at=build.started_at)
    try:
        out.say(f"-----> Building {app.name} from {build.commit[:7]}")
        build.image = image_tag(app, build)
        process_types = builders.build(
            app=app, build_id=build.pk, source=SourceArchive(context), tag=build.image, build_args=build_args(app),
            say=out.say,
        )
    except BuildFailed as error:
        build.image = ""
        _finish(build, out, BuildStatus.FAILED, str(error))
        out.end(succeeded=False, message=f"Build failed: {error}")
        return
    except Exception as error:
        log.exception("build %s crashed", build.pk)
        build.image = ""
        _finish(build, out, BuildStatus.FAILED, f"internal error: {error}")
        out.end(succeeded=False, message="Build failed: internal error in the platform (see its worker log)")
        raise
    finally:
        context.unlink(missing_ok=True)
    if not push_alive(app.name, push_id):
        _finish(build, out, BuildStatus.FAILED, PUSH_GONE)
        out.end(succeeded=False, message=f"Push cancelled: {PUSH_GONE}")
        return
    _finish(build, out, BuildStatus.SUCCEEDED)
    refusal = release_web_refusal(app=app, process_types=process_types)
    if refusal is not None:
        out.say(f"Release refused: {refusal}")
        _keep_output(build, out)
        out.end(succeeded=False, message=f"No release was made; {serving_after_failure(app)}.")
        return

    release = release_create(
        app=app,
        image=build.image,
        process_types=process_types,
        build=build,
        user=build.created_by,
        description=f"Deploy {build.commit[:7]}",
    )
    types = ", ".join(sorted(process_types))
    out.say(f"-----> Releasing v{release.version} (process types: {types})")
    try:
        went_live = release_roll_out(release, out.show, before_switch=_branch_holds(build, push_id, out))
    except RolloutFailed as error:
        # The reason (with the process's last output) once, here; the push's last words sum up.
        out.say(f"Deploy failed: {error}")
        _keep_output(build, out)
        out.end(succeeded=False, message=f"Release v{release.version} failed; {serving_after_failure(app)}.")
        return
    except Exception:
        log.exception("rollout of %s v%s crashed", app.name, release.version)
        out.end(succeeded=False, message="Deploy failed: internal error in the platform (see its worker log)")
        raise
    url = app_url(app)
    if not went_live:
        _keep_output(build, out)
        live = live_release(app)
        if live is not None and live.image == release.image:
            out.end(succeeded=True, message=f"Released as part of v{live.version} (it went live first): {url}")
        else:
            out.end(succeeded=False, message=f"v{release.version} was superseded by a newer release; push again to deploy this commit")
        return
    out.say(f"Released v{release.version}")
    _keep_output(build, out)
    out.end(succeeded=True, message=f"Released v{release.version}: {url} deployed")
