"""Dockerfile builds through the engine's build API, streaming the engine's output."""
import re
from collections.abc import Callable
from pathlib import Path

import docker.errors
from django.conf import settings
from runtime.docker_backend import LABEL, docker_client

from builds.errors import BuildFailed

# What the engine says when a FROM image is absent and cannot be fetched from a registry.
PULL_FAILURE = re.compile(
    r"pull access denied|repository does not exist|manifest unknown|not found: manifest|"
    r"dial tcp|no such host|registry-1\.docker\.io|TLS handshake timeout|i/o timeout|"
    r"connection refused|network is unreachable|Temporary failure in name resolution",
    re.IGNORECASE,
)
FROM_STEP = re.compile(r"^Step \d+/\d+ : FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE)


def build_image(
    *, context: Path, tag: str, say: Callable[[str], None], dockerfile: str = "Dockerfile",
    buildargs: dict[str, str] | None = None,
) -> str:
    """Build the tar build context into `tag`; return the image id."""
    client = docker_client()
    base_image = None
    try:
        with open(context, "rb") as fileobj:
            for chunk in client.api.build(
                fileobj=fileobj,
                custom_context=True,
                tag=tag,
                dockerfile=dockerfile,
                buildargs=buildargs or {},
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
                labels={f"{LABEL}.instance": settings.PAAS_INSTANCE},
            ):
                if "stream" in chunk:
                    for line in chunk["stream"].splitlines():
                        if match := FROM_STEP.match(line):
                            base_image = match.group(1)
                        if line.strip():
                            say(line)
                elif "error" in chunk:
                    raise BuildFailed(_explain(chunk["error"].strip(), base_image))
    except docker.errors.APIError as error:
        raise BuildFailed(_explain(str(error.explanation or error), base_image)) from None
    try:
        return client.images.get(tag).id
    except docker.errors.ImageNotFound:
        raise BuildFailed("the engine reported success but produced no image") from None


def _explain(error: str, base_image: str | None) -> str:
    if base_image and PULL_FAILURE.search(error):
        return (
            f"base image '{base_image}' is not on this host and could not be pulled ({error}). "
            "Build or load it on the host first (docker build / docker load), or use an image "
            "that is present."
        )
    return error
