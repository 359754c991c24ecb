"""Dockerfile builds through the engine's build API, streaming the engine's output.

The engine's classic builder, not its BuildKit: on Debian's dockerd 20.10 only the classic builder
runs the build's steps on a network of the platform's choosing (the app's own) with per-step
memory and CPU limits and a cgroup parent; BuildKit offers none, host or the default bridge, and
puts every step under its own cgroup (docs/architecture.md, "Builds").
"""
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker.errors
from django.conf import settings
from runtime.docker.containers import LABEL
from runtime.docker.engine import docker_client

from builds.build_cgroup import BuildCgroup
from builds.errors import BuildFailed

CPU_PERIOD_US = 100_000
MB = 1024 * 1024

# What the engine says when a FROM image is absent and cannot be fetched from a registry.
PULL_FAILURE = re.compile(
    r"pull access denied|repository does not exist|manifest unknown|not found: manifest|"
    r"dial tcp|no such host|registry-1\.docker\.io|TLS handshake timeout|i/o timeout|"
    r"connection refused|network is unreachable|Temporary failure in name resolution",
    re.IGNORECASE,
)
FROM_STEP = re.compile(r"^Step \d+/\d+ : FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class ImageFacts:
    tags: list[str]
    digests: list[str]  # repository@sha256:..., where the image was pulled from (or pushed to)
    triggers: list[str]  # its ONBUILD instructions


def inspect_image(reference: str) -> ImageFacts | None:
    """What the engine knows of the image `reference` resolves to (None if it has none such),
    resolved as the builder resolves a FROM line: by name, by id, or by an id's prefix."""
    try:
        attrs = docker_client().api.inspect_image(reference)
    except docker.errors.NotFound:
        return None
    except docker.errors.APIError as error:
        if error.status_code == 400:
            raise BuildFailed(f"{reference} is not a valid image reference") from None
        raise BuildFailed(f"the engine could not look up image {reference}: {error.explanation or error}") from None
    config = attrs.get("Config") or {}
    return ImageFacts(attrs.get("RepoTags") or [], attrs.get("RepoDigests") or [], config.get("OnBuild") or [])


def _build_params(*, tag: str, dockerfile: str, buildargs: dict[str, str], network: str, cgroup_parent: str) -> dict:
    memory = settings.PAAS_BUILD_MEMORY_MB * MB
    return {
        "t": tag,
        "dockerfile": dockerfile,
        "buildargs": json.dumps(buildargs),
        "rm": True,
        "forcerm": True,
        "pull": False,  # a FROM image is pulled only if absent (builds.base_images decides which may be)
        "labels": json.dumps({f"{LABEL}.instance": settings.PAAS_INSTANCE}),
        "networkmode": network,
        "cgroupparent": cgroup_parent,
        "memory": memory,
        "memswap": memory,  # no swap beyond the memory limit
        "cpuperiod": CPU_PERIOD_US,
        "cpuquota": round(settings.PAAS_BUILD_CPUS * CPU_PERIOD_US),
    }


def build_image(
    *, context: Path, tag: str, say: Callable[[str], None], network: str, cgroup: BuildCgroup,
    dockerfile: str = "Dockerfile", buildargs: dict[str, str] | None = None,
) -> str:
    """Build the tar build context into `tag`, each step on `network` in `cgroup` with the build
    limits; return the image id. Stopped, and failed, after PAAS_BUILD_TIMEOUT."""
    client = docker_client()
    api = client.api
    params = _build_params(tag=tag, dockerfile=dockerfile, buildargs=buildargs or {}, network=network,
                           cgroup_parent=cgroup.parent)
    base_image, timed_out = None, threading.Event()
    try:
        with open(context, "rb") as fileobj:
            # The build API by hand: the SDK's build() cannot pass the CPU quota, and the watchdog
            # needs the response to end the stream.
            response = api._post(api._url("/build"), data=fileobj, params=params,
                                 headers={"Content-Type": "application/tar"}, stream=True, timeout=None)
            api._raise_for_status(response)

            def stop() -> None:
                timed_out.set()
                cgroup.kill()  # the running step fails, and so the build; a closed call alone would not stop it
                response.close()

            watchdog = threading.Timer(settings.PAAS_BUILD_TIMEOUT, stop)
            watchdog.start()
            try:
                for chunk in api._stream_helper(response, decode=True):
                    if "stream" in chunk:
                        for line in chunk["stream"].splitlines():
                            if match := FROM_STEP.match(line):
                                base_image = match.group(1)
                            if line.strip():
                                say(line)
                    elif "error" in chunk:
                        raise BuildFailed(_explain(chunk["error"].strip(), base_image))
            except Exception:
                if not timed_out.is_set():
                    raise  # closing the response is the only way this loop ends early on its own
            finally:
                watchdog.cancel()
    except docker.errors.APIError as error:
        raise BuildFailed(_explain(str(error.explanation or error), base_image)) from None
    if timed_out.is_set():
        raise BuildFailed(f"the build did not finish within {settings.PAAS_BUILD_TIMEOUT} s (PAAS_BUILD_TIMEOUT) and was stopped")
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
