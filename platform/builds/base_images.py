"""Which images a build may start from or copy out of, and what its Dockerfile may fetch.

The engine resolves a Dockerfile's `FROM` and `COPY --from` references and fetches `ADD` URLs
itself, on the host and with the host's network, so neither the build's network nor its limits
apply to them: they are checked here, before the engine sees the Dockerfile. A build may use
the install's base images (the buildpacks' and PAAS_BUILD_BASE_IMAGES), images the host pulled
from a registry that no other app tracks, the app's own earlier builds and releases, and images
that a registry named in PAAS_BUILD_REGISTRIES would supply. Every other reference is refused
with one message, whether or not such an image exists, so a refusal tells nothing about other
apps.
"""
import fnmatch
from dataclasses import dataclass

from django.conf import settings

from applications.models import App, Release
from builds import docker_builder, dockerfile
from builds.buildpack_images import all_images
from builds.errors import BuildFailed
from builds.models import Build
from registry.models import TrackedImage
from registry.references import _has_domain

ALLOWED = (
    "builds may start from the install's base images ({bases}), images pulled from a registry, "
    "this app's own earlier builds, and images of the registries {registries}"
)


@dataclass(frozen=True)
class _Checked:
    reference: str
    triggers: list[str]


def _allowed_text() -> str:
    bases = ", ".join(sorted(all_images() | set(settings.PAAS_BUILD_BASE_IMAGES))) or "none"
    return ALLOWED.format(bases=bases, registries=", ".join(settings.PAAS_BUILD_REGISTRIES) or "(none)")


def _registry(reference: str) -> str:
    first, slash, _ = reference.partition("/")
    return first if slash and _has_domain(first) else "docker.io"


def _is_base(name: str) -> bool:
    patterns = all_images() | set(settings.PAAS_BUILD_BASE_IMAGES)
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _is_own(app: App, names: set[str]) -> bool:
    return (
        Build.objects.filter(app=app, image__in=names).exists()
        or Release.objects.filter(app=app, image__in=names).exists()
    )


def _tracked_by_another_app(app: App, digests: list[str]) -> bool:
    repositories = {entry.partition("@")[0] for entry in digests}
    return TrackedImage.objects.filter(repository__in=repositories).exclude(app=app).exists()


def _platform_image(names: set[str]) -> bool:
    """Built by a platform instance on this host (this one's apps or another instance's)."""
    return any(name.startswith("paas-") and "/" in name for name in names)


def check_image(app: App, reference: str, line: int) -> _Checked:
    """The image `reference` if this app's build may use it; BuildFailed otherwise."""
    image = docker_builder.inspect_image(reference)
    refused = BuildFailed(f"Dockerfile line {line}: the image {reference} is not one this build may use: {_allowed_text()}")
    if image is None:
        # Absent: the engine would pull it, from whatever host the reference names (the host's own
        # loopback included), so only from the registries the install trusts; never a name in the
        # platform's own namespace, whose refusal must read the same whether the image exists or not.
        trusted = _registry(reference) in settings.PAAS_BUILD_REGISTRIES and not _platform_image({reference})
        if trusted or _is_base(reference):
            return _Checked(reference, [])
        raise refused
    names = set(image.tags) | set(image.digests)
    if any(_is_base(tag) for tag in image.tags) or _is_own(app, names):
        return _Checked(reference, image.triggers)
    pulled = bool(image.digests) and not _platform_image(set(image.tags))
    if pulled and not _tracked_by_another_app(app, image.digests):
        return _Checked(reference, image.triggers)
    raise refused


def check_dockerfile(app: App, text: str, build_args: dict[str, str]) -> None:
    """Refuse the build (BuildFailed) if its Dockerfile uses an image it may not, or fetches a URL."""
    try:
        reading = dockerfile.read(text, build_args)
    except dockerfile.DockerfileRefused as error:
        raise BuildFailed(f"Dockerfile {error}") from None
    if reading.urls:
        line, url = reading.urls[0]
        raise BuildFailed(
            f"Dockerfile line {line}: ADD {url} is not allowed: the engine would fetch it from the host's "
            "network. Commit the file to the repository, or download it in a RUN step"
        )
    stage_names: set[str] = set()
    references = []
    for stage in reading.stages:
        if stage.image.lower() not in stage_names and stage.image != "scratch":
            references.append((stage.line, stage.image))
        if stage.name:
            stage_names.add(stage.name)
    references += reading.copied_images
    for line, reference in references:
        checked = check_image(app, reference, line)
        _check_triggers(checked)


def _check_triggers(checked: _Checked) -> None:
    """An image's ONBUILD triggers run in the build that starts from it: they may not fetch either."""
    triggers = dockerfile.trigger_instructions(checked.triggers)
    text = "\n".join(f"{t.keyword} {t.arguments}" for t in triggers)
    try:
        reading = dockerfile.read(f"FROM scratch\n{text}", {})
    except dockerfile.DockerfileRefused as error:
        raise BuildFailed(f"the ONBUILD triggers of {checked.reference} cannot be checked: {error}") from None
    if reading.urls or reading.copied_images:
        raise BuildFailed(f"the image {checked.reference} has ONBUILD triggers that fetch from outside the build")
