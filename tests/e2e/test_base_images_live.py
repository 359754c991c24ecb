"""A base image `make base-images` builds while the platform runs is used by the next push,
with no restart of the workers (they used to read the list once, when they started); one the
list names but the engine lost is named, and so is what brings it back."""
import json
import subprocess

import pytest

from tests.support import BASE_IMAGE, SourceTree, start_platform, stop_platform

pytestmark = pytest.mark.e2e


def test_the_next_push_uses_a_base_image_listed_after_the_workers_started(tmp_path, base_image):
    listed = tmp_path / "base-images.json"
    listed.write_text(json.dumps({"static": BASE_IMAGE}))
    rebuilt = f"paas-test/static-rebuilt:{tmp_path.name[-8:].lower()}"
    gone = f"paas-test/static-removed:{tmp_path.name[-8:].lower()}"
    platform = start_platform(tmp_path, PAAS_BASE_IMAGES_FILE=str(listed))
    try:
        app = platform.new_app()
        source = SourceTree(tmp_path / "site")
        listed.write_text(json.dumps({"static": gone}))  # listed by make base-images, since removed
        source.write({"index.html": "zero\n"}).commit()
        lost = source.push(platform.git_url(app))
        assert lost.returncode != 0
        assert (f"the base image {gone} is listed in {listed} but is no longer in the Docker engine") in lost.output
        assert "`make base-images` on the host builds it again" in lost.output
        assert "For hosts with no registry" not in lost.output  # what a host that ran it was told before

        listed.write_text(json.dumps({"static": BASE_IMAGE}))
        source.write({"index.html": "first\n"}).commit()
        first = source.push(platform.git_url(app))
        assert first.returncode == 0, first.output
        assert f"Using the base image {BASE_IMAGE}" in first.output

        # What `make base-images` does while the platform runs: a new image, then the list.
        subprocess.run(["docker", "tag", BASE_IMAGE, rebuilt], check=True, capture_output=True)
        listed.write_text(json.dumps({"static": rebuilt}))

        source.write({"index.html": "second\n"}).commit()
        second = source.push(platform.git_url(app))
        assert second.returncode == 0, second.output
        assert f"Using the base image {rebuilt}" in second.output
        assert platform.get(app) == (200, "second\n")
    finally:
        stop_platform(platform)
        subprocess.run(["docker", "rmi", rebuilt], capture_output=True)
