"""The buildpacks' base images are looked up by language version at each build: a list `make
base-images` writes while the platform runs is used by the next build, the flat lists earlier
versions wrote still read (or are refused saying what to do), and an operator's setting wins."""
import json

import pytest

from builds.buildpack_images import OFFICIAL, BaseImagesInvalid, all_images, static_image, versions, where_listed


@pytest.fixture
def listed(settings, tmp_path):
    path = tmp_path / "base-images.json"
    settings.PAAS_BASE_IMAGES_FILE = path
    settings.PAAS_BASE_IMAGES = {}
    return path


def test_the_list_make_base_images_writes_is_read_at_each_lookup(listed):
    assert versions("python") == OFFICIAL["python"]  # nothing built here yet
    assert where_listed("python") == "the official images"

    listed.write_text(json.dumps({"python": {"3.11": "paas-base/python:3.11-bookworm"}, "static": "paas-base/static:busybox"}))
    assert versions("python") == {"3.11": "paas-base/python:3.11-bookworm"}
    assert versions("node") == OFFICIAL["node"]
    assert static_image() == "paas-base/static:busybox"
    assert where_listed("python") == str(listed)

    listed.write_text(json.dumps({"python": {"3.11": "paas-base/python:3.11-bookworm", "3.13": "paas-base/python:3.13-trixie"}}))
    assert versions("python") == {"3.11": "paas-base/python:3.11-bookworm", "3.13": "paas-base/python:3.13-trixie"}


def test_a_flat_list_of_an_earlier_version_reads_its_versions_from_the_tags(listed):
    listed.write_text(json.dumps({"python": "paas-base/python:3.11-bookworm", "node": "paas-base/node:18-bookworm"}))
    assert versions("python") == {"3.11": "paas-base/python:3.11-bookworm"}
    assert versions("node") == {"18": "paas-base/node:18-bookworm"}


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"python": "local/python"}', "without its version: name it as VERSION=IMAGE"),
        ('{"python": ["paas-base/python:3.11-bookworm"]}', "not as {version: image}: run `make base-images`"),
        ("{not json", "cannot be read .*run `make base-images` to rewrite it"),
    ],
)
def test_a_list_that_cannot_be_read_is_refused_saying_how_to_rewrite_it(listed, content, message):
    listed.write_text(content)
    with pytest.raises(BaseImagesInvalid, match=message):
        versions("python")
    assert "paas-base/python:3.11-bookworm" not in all_images()  # and a Dockerfile build is not blocked by it


def test_an_operators_setting_wins_with_versions_from_its_tags_or_named(listed, settings):
    listed.write_text(json.dumps({"python": {"3.11": "paas-base/python:3.11-bookworm"}, "static": "paas-base/static:busybox"}))
    settings.PAAS_BASE_IMAGES = {
        "python": "registry.example/python:3.12-slim, 3.13=registry.example/py:latest",
        "static": "registry.example/static:1",
    }
    assert versions("python") == {"3.12": "registry.example/python:3.12-slim", "3.13": "registry.example/py:latest"}
    assert static_image() == "registry.example/static:1"
    assert where_listed("python") == "PAAS_PYTHON_BASE_IMAGE"
    assert {"registry.example/py:latest", "registry.example/static:1"} <= all_images()
    assert "paas-base/python:3.11-bookworm" not in all_images()
