"""The builtin buildpacks' base images, looked up when a build needs one.

An operator's PAAS_<NAME>_BASE_IMAGE wins; else the image `make base-images` built from Debian's
packages for hosts that reach no registry (it lists them in PAAS_BASE_IMAGES_FILE); else the
official image. The file is read at each lookup, not when a worker starts: images built while
the platform runs are used by the next push, with no restart.
"""
import json
import logging

from django.conf import settings

log = logging.getLogger(__name__)

OFFICIAL = {"python": "python:3.12-slim", "node": "node:22-slim", "static": "busybox:1.36"}


def _built_here() -> dict[str, str]:
    try:
        listed = json.loads(settings.PAAS_BASE_IMAGES_FILE.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning("cannot read %s: %s", settings.PAAS_BASE_IMAGES_FILE, error)
        return {}
    return {name: image for name, image in listed.items() if isinstance(image, str)} if isinstance(listed, dict) else {}


def base_images() -> dict[str, str]:
    """Each builtin buildpack's base image, by buildpack key."""
    return {**OFFICIAL, **_built_here(), **settings.PAAS_BASE_IMAGES}


def base_image(key: str) -> str:
    return base_images()[key]
