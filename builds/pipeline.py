"""A queued build, from source archive to live release: build the image, release, roll out."""
import logging

from django.conf import settings
from django.utils import timezone

from applications.build_settings import build_args
from applications.locks import RolloutFailed
from applications.rollout import deploy
from applications.selectors import live_release
from applications.services import release_create
from builds import builders
from builds.errors import BuildFailed
from builds.models import Build, BuildStatus
from builds.output import BuildOutput
from builds.services import image_tag, source_path
from builds.source import SourceArchive

log = logging.getLogger(__name__)


def _finish(build: Build, out: BuildOutput, status: BuildStatus, reason: str = "") -> None:
    build.status = status
    build.failure_reason = reason
    build.output = out.text
    build.finished_at = timezone.now()
    build.save(update_fields=["status", "failure_reason", "output", "finished_at", "image"])


def _keep_output(build: Build, out: BuildOutput) -> None:
    """The build record keeps the rollout's lines too, as the push showed them."""
    Build.objects.filter(pk=build.pk).update(output=out.text)


def build_and_deploy(build_id: int) -> None:
    build = Build.objects.select_related("app", "created_by").get(pk=build_id)
    app = build.app
    out = BuildOutput(build.pk, app.pk)
    context = source_path(build.pk)
    Build.objects.filter(pk=build.pk).update(status=BuildStatus.BUILDING)
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
    _finish(build, out, BuildStatus.SUCCEEDED)

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
        went_live = deploy(release, out.show)
    except RolloutFailed as error:
        out.say(f"Release v{release.version} failed; the previous release keeps serving.")
        out.say(f"Deploy failed: {error}")
        _keep_output(build, out)
        out.end(succeeded=False, message=f"Deploy failed: {error}")
        return
    except Exception:
        log.exception("rollout of %s v%s crashed", app.name, release.version)
        out.end(succeeded=False, message="Deploy failed: internal error in the platform (see its worker log)")
        raise
    url = f"http://{app.name}.{settings.PAAS_APPS_DOMAIN}:{settings.PAAS_ROUTER_PORT}/"
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
