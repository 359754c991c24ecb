"""The builtin buildpacks' base images, by language version, looked up when a build needs one.

An operator's PAAS_<NAME>_BASE_IMAGE wins (an image whose tag names its version, like
python:3.13-slim, or several as `3.12=image,3.13=image`); else the images `make base-images`
built from Debian's packages for hosts that reach no registry (PAAS_BASE_IMAGES_FILE:
{"python": {"3.13": image, ...}, "node": {"20": image, ...}, "static": image}); else the
official images. The file is read at each lookup, not when a worker starts: images built while
the platform runs are used by the next push, with no restart.
"""
import json
import logging
import re

from django.conf import settings

from builds.errors import BuildFailed

log = logging.getLogger(__name__)

LANGUAGES = ("python", "node")
OFFICIAL: dict = {
    "python": {version: f"python:{version}-slim" for version in ("3.10", "3.11", "3.12", "3.13", "3.14")},
    "node": {version: f"node:{version}-slim" for version in ("18", "20", "22", "24")},
    "static": "busybox:1.36",
}
# The version in a tag: "3.11-bookworm" -> 3.11, "20-slim" -> 20, "22.4.1" -> 22 (Node's major).
TAG_VERSION = {"python": re.compile(r"^(\d+\.\d+)(?:[.\-]|$)"), "node": re.compile(r"^(\d+)(?:[.\-]|$)")}
VERSION_LABEL = "org.paas.base.version"  # scripts/base-images: the exact version an image has


class BaseImagesInvalid(BuildFailed):
    """The list of base images (file or setting) cannot be read as this platform writes it."""


def _version_of(language: str, image: str) -> str | None:
    tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
    match = TAG_VERSION[language].match(tag)
    return match.group(1) if match else None


def _versions(language: str, listed, where: str) -> dict[str, str]:
    """`listed` as {version: image}: a mapping as written now, or one image (the flat files of
    earlier platform versions, and the settings) whose tag names its version."""
    if isinstance(listed, str):
        images = [item.strip() for item in listed.split(",") if item.strip()]
        result = {}
        for item in images:
            version, equals, image = item.partition("=")
            if not equals:
                version, image = _version_of(language, item), item
            if not version:
                raise BaseImagesInvalid(
                    f"{where} lists the {language} image {item} without its version: name it as VERSION=IMAGE "
                    "(e.g. 3.13=my/python:latest), or run `make base-images` to rewrite the list"
                )
            result[version.strip()] = image.strip()
        return result
    if isinstance(listed, dict) and all(isinstance(k, str) and isinstance(v, str) and k for k, v in listed.items()):
        return dict(listed)
    raise BaseImagesInvalid(
        f"{where} lists {language} as {json.dumps(listed)[:80]}, not as {{version: image}}: run `make base-images` to rewrite it"
    )


def _file() -> dict:
    path = settings.PAAS_BASE_IMAGES_FILE
    try:
        listed = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise BaseImagesInvalid(f"{path} cannot be read ({error}): run `make base-images` to rewrite it") from None
    if not isinstance(listed, dict):
        raise BaseImagesInvalid(f"{path} is not a JSON object: run `make base-images` to rewrite it")
    return listed


def versions(language: str) -> dict[str, str]:
    """The versions of `language` ("python", "node") this platform has an image for."""
    if settings.PAAS_BASE_IMAGES.get(language):
        return _versions(language, settings.PAAS_BASE_IMAGES[language], f"PAAS_{language.upper()}_BASE_IMAGE")
    listed = _file()
    if language in listed:
        return _versions(language, listed[language], str(settings.PAAS_BASE_IMAGES_FILE))
    return dict(OFFICIAL[language])


def static_image() -> str:
    if settings.PAAS_BASE_IMAGES.get("static"):
        return settings.PAAS_BASE_IMAGES["static"]
    listed = _file().get("static")
    if listed is not None and not isinstance(listed, str):
        raise BaseImagesInvalid(f"{settings.PAAS_BASE_IMAGES_FILE} lists static as {listed!r}, not as an image")
    return listed or OFFICIAL["static"]


def where_listed(language: str) -> str:
    """Which setting or file decides `language`'s images, for messages."""
    if settings.PAAS_BASE_IMAGES.get(language):
        return f"PAAS_{language.upper()}_BASE_IMAGE"
    try:
        return str(settings.PAAS_BASE_IMAGES_FILE) if language in _file() else "the official images"
    except BaseImagesInvalid:
        return str(settings.PAAS_BASE_IMAGES_FILE)


def all_images() -> set[str]:
    """Every buildpack base image, for what a Dockerfile may start from; a list that cannot be
    read counts as none (the buildpack build that needs it says why)."""
    images = set()
    for language in LANGUAGES:
        try:
            images |= set(versions(language).values())
        except BaseImagesInvalid as error:
            log.warning("%s", error)
    try:
        images.add(static_image())
    except BaseImagesInvalid as error:
        log.warning("%s", error)
    return images


def patch_level(image: str) -> str | None:
    """The exact Python version (3.13.5) of a base image, if it says (`make base-images` records it)."""
    from runtime.docker.engine import docker_client  # the engine only when a patch release is asked for
    import docker.errors

    try:
        config = docker_client().api.inspect_image(image).get("Config") or {}
    except docker.errors.DockerException:
        return None
    # The official python images say it in their environment instead.
    env = dict(item.partition("=")[::2] for item in config.get("Env") or [])
    return (config.get("Labels") or {}).get(VERSION_LABEL) or env.get("PYTHON_VERSION")
