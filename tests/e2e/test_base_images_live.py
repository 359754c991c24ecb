"""A base image `make base-images` builds while the platform runs is used by the next push,
with no restart of the workers (they used to read the list once, when they started)."""
import json
import subprocess

import pytest

from tests.support import BASE_IMAGE, SourceTree, start_platform, stop_platform

pytestmark = pytest.mark.e2e


def test_the_next_push_uses_a_base_image_listed_after_the_workers_started(tmp_path):
    listed = tmp_path / "base-images.json"
    listed.write_text(json.dumps({"static": BASE_IMAGE}))
    rebuilt = f"paas-test/static-rebuilt:{tmp_path.name[-8:].lower()}"
    platform = start_platform(tmp_path, PAAS_BASE_IMAGES_FILE=str(listed))
    try:
        app = platform.new_app()
        source = SourceTree(tmp_path / "site")
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
