"""Which builder turns a push into an image, and running it.

A Dockerfile at the root means a Docker build, anything else the builtin buildpacks; an app can
force one of them, or Cloud Native Buildpacks (`pack`), with its `builder` setting."""
from collections.abc import Callable

from applications.models import App, Builder
from applications.procfile import ProcfileError, process_types_for
from builds import base_images, buildpack_images, buildpacks, docker_builder, pack
from builds.build_cgroup import build_cgroup
from builds.errors import BuildFailed
from builds.narrator import Narrator
from builds.source import SourceArchive
from runtime.scheduler import get_scheduler


def _procfile_types(source: SourceArchive) -> dict[str, str] | None:
    procfile = source.read("Procfile")
    if procfile is None:
        return None
    try:
        return process_types_for(procfile)
    except ProcfileError as error:
        raise BuildFailed(str(error)) from None


def _chosen(app: App, source: SourceArchive) -> Builder:
    if app.builder:
        return Builder(app.builder)
    return Builder.DOCKERFILE if source.has("Dockerfile") else Builder.BUILDPACK


def build(
    *, app: App, build_id: int, source: SourceArchive, tag: str, build_args: dict[str, str],
    say: Callable[[str], None],
) -> dict[str, str]:
    """Build the push into image `tag`; return the release's process types. The build's steps run
    on the app's own network (none at all for a static site), within the build limits."""
    declared = _procfile_types(source)
    builder = _chosen(app, source)
    network = get_scheduler().app_network(app.pk)
    if builder == Builder.DOCKERFILE:
        if not source.has("Dockerfile"):
            raise BuildFailed("this app's builder is dockerfile, but the pushed commit has no Dockerfile at its root")
        say("-----> Building with the Dockerfile")
        base_images.check_dockerfile(app, source.read("Dockerfile"), build_args)
        with build_cgroup(build_id) as cgroup:
            docker_builder.build_image(
                context=source.path, tag=tag, say=say, buildargs=build_args, network=network, cgroup=cgroup
            )
        return declared or process_types_for(None)
    if builder == Builder.PACK:
        pack.build(source=source, tag=tag, env=build_args, network=network, say=say)
        return declared or process_types_for(None)
    return _buildpack_build(
        source=source, build_id=build_id, tag=tag, build_args=build_args, declared=declared, network=network, say=say
    )


def _buildpack_build(
    *, source: SourceArchive, build_id: int, tag: str, build_args: dict[str, str], declared: dict[str, str] | None,
    network: str, say: Callable[[str], None],
) -> dict[str, str]:
    buildpack = buildpacks.detect(source)
    if buildpack is None:
        raise BuildFailed(
            f"no Dockerfile at the root of the pushed commit, and no buildpack recognised the app: "
            f"add a Dockerfile, or {buildpacks.WHAT_IS_DETECTED}"
        )
    say(f"-----> {buildpack.language} app detected")
    plan = buildpack.plan(source, sorted(build_args))  # fails here, before any step, on a version it lacks
    if plan.version_line:
        say(plan.version_line)
    for note in plan.notes:
        say(note)
    process_types = declared or plan.default_process_types
    if process_types is None:
        raise BuildFailed(f"nothing says how to start this {plan.language} app: {buildpack.start_hint}")
    for name, text in plan.generated.items():
        source.add(name, text)
    source.add(buildpacks.DOCKERFILE, plan.dockerfile())
    say(f"-----> Using the base image {plan.base_image}")
    narrator = Narrator(plan.steps, say)
    try:
        with build_cgroup(build_id) as cgroup:
            docker_builder.build_image(
                context=source.path, tag=tag, say=narrator, dockerfile=buildpacks.DOCKERFILE, buildargs=build_args,
                network=network if buildpack.needs_network else "none", cgroup=cgroup,
            )
    except BuildFailed as error:
        if not get_scheduler().image_exists(plan.base_image):
            raise BuildFailed(_missing_base_image(buildpack, plan)) from None
        if advice := narrator.explanation():
            raise BuildFailed(f"{advice} ({error})") from None
        raise
    say("-----> Discovering process types")
    origin = "Procfile declares types" if declared else "Default types for buildpack"
    say(f"       {origin} -> {', '.join(sorted(process_types))}")
    return process_types


def _missing_base_image(buildpack, plan: buildpacks.Plan) -> str:
    """Why the base image is absent, and the one thing that brings it back: never `make
    base-images` to a host that ran it, unless running it again rebuilds the image."""
    image, key = plan.base_image, buildpack.key
    listed = buildpack_images.where_listed(key)
    if listed == f"PAAS_{key.upper()}_BASE_IMAGE":
        return (
            f"the base image {image} that {listed} names is not in the Docker engine and could not be "
            "pulled: load it on the host (docker load / docker build), or change the setting"
        )
    if listed == "the official images":
        return (
            f"the base image {image} is not on this host and could not be pulled from a registry: on a "
            "host with no registry, `make base-images` builds local base images from Debian's packages, "
            f"or set PAAS_{key.upper()}_BASE_IMAGE"
        )
    meanwhile = ""
    if key in buildpack_images.LANGUAGES:
        present = [version for version, other in buildpack_images.versions(key).items()
                   if other != image and get_scheduler().image_exists(other)]
        if present:
            present.sort(key=lambda version: tuple(int(part) for part in version.split(".")))
            meanwhile = f"; meanwhile the engine has {buildpack.language} {', '.join(present)}"
    return (
        f"the base image {image} is listed in {listed} but is no longer in the Docker engine (removed "
        f"since it was built?): `make base-images` on the host builds it again{meanwhile}"
    )
