"""Fixtures for end-to-end tests that drive the engine directly, without a platform instance."""
import uuid

import docker
import pytest

from runtime.docker_backend import DockerBackend


@pytest.fixture
def instance(docker_engine, base_image, settings) -> str:
    """A PAAS_INSTANCE of this test alone: everything it creates is labelled with it and removed."""
    settings.PAAS_INSTANCE = f"t{uuid.uuid4().hex[:8]}"
    client = docker.from_env()
    yield settings.PAAS_INSTANCE
    for container in client.containers.list(all=True, filters={"label": f"io.paas.instance={settings.PAAS_INSTANCE}"}):
        container.remove(force=True, v=True)
    prefix = f"paas-{settings.PAAS_INSTANCE}/"
    for image in client.images.list(name=f"{prefix}*"):
        # Only this test's tags: the image behind them also carries the shared base image's tag.
        for tag in image.tags:
            if tag.startswith(prefix):
                client.images.remove(tag)
    client.close()


@pytest.fixture
def backend(instance) -> DockerBackend:
    return DockerBackend()
