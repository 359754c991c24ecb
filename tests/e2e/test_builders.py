"""builders.build on the real engine, without a platform: what a buildpack build says when its
base image is missing (by where it was listed), and a buildpack build forced on a commit that
has a Dockerfile."""
import io
import tarfile

import docker
import pytest

from applications.models import App, Builder
from builds import builders
from builds.errors import BuildFailed
from tests.support import BASE_IMAGE, source_archive

pytestmark = pytest.mark.e2e


def _failed_static_build(tmp_path, instance) -> str:
    with pytest.raises(BuildFailed) as failure:
        builders.build(app=App(id=1, name="shop"), build_id=1, source=source_archive(tmp_path, {"index.html": "hi"}),
                       tag=f"paas-{instance}/shop:build-1", build_args={}, say=lambda line: None)
    return str(failure.value)


def test_a_missing_base_image_an_operator_set_names_the_setting_not_make_base_images(tmp_path, settings, instance):
    settings.PAAS_BASE_IMAGES = {**settings.PAAS_BASE_IMAGES, "static": "paas-test/not-on-this-host:404"}

    message = _failed_static_build(tmp_path, instance)

    assert "the base image paas-test/not-on-this-host:404 that PAAS_STATIC_BASE_IMAGE names is not in the Docker engine" in message
    assert "make base-images" not in message


def test_a_forced_buildpack_build_ignores_the_dockerfile_and_runs_the_static_site(tmp_path, settings, instance):
    settings.PAAS_BASE_IMAGES = {**settings.PAAS_BASE_IMAGES, "static": BASE_IMAGE}
    source = source_archive(tmp_path, {"Dockerfile": "FROM scratch\nRUN false\n", "index.html": "hi"})
    tag = f"paas-{instance}/shop:build-2"
    said = []

    types = builders.build(app=App(id=1, name="shop", builder=Builder.BUILDPACK), build_id=2, source=source, tag=tag,
                           build_args={}, say=said.append)

    assert types == {"web": "httpd -f -p $PORT -h /app"}
    assert said[:3] == ["-----> Static HTML app detected", f"-----> Using the base image {BASE_IMAGE}",
                        "-----> Copying the site"]
    assert file_in_image(tag, "/app/index.html") == b"hi"


def file_in_image(image: str, path: str) -> bytes:
    """A file of the image, read from a container that never runs (a run's output came back
    empty now and then under load)."""
    container = docker.from_env().containers.create(image, ["true"])  # the image names no command
    try:
        chunks, _ = container.get_archive(path)
        with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
            return tar.extractfile(tar.getmembers()[0]).read()
    finally:
        container.remove(force=True)
