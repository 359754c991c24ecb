"""The buildpacks' base images are looked up at each build: a list `make base-images` writes
while the platform runs is used by the next build, and an operator's setting wins."""
import json

from builds.buildpack_images import OFFICIAL, base_image, base_images


def test_the_list_make_base_images_writes_is_read_at_each_lookup(settings, tmp_path):
    listed = tmp_path / "base-images.json"
    settings.PAAS_BASE_IMAGES_FILE = listed
    settings.PAAS_BASE_IMAGES = {}
    assert base_images() == OFFICIAL  # nothing built here yet

    listed.write_text(json.dumps({"python": "paas-base/python:3.11-bookworm"}))
    assert base_image("python") == "paas-base/python:3.11-bookworm"
    assert base_image("node") == OFFICIAL["node"]

    listed.write_text(json.dumps({"python": "paas-base/python:3.13-trixie"}))  # rebuilt meanwhile
    assert base_image("python") == "paas-base/python:3.13-trixie"


def test_an_operators_setting_wins_and_a_broken_list_is_ignored(settings, tmp_path):
    listed = tmp_path / "base-images.json"
    listed.write_text("{not json")
    settings.PAAS_BASE_IMAGES_FILE = listed
    settings.PAAS_BASE_IMAGES = {"static": "registry.example/static:1"}
    assert base_images() == {**OFFICIAL, "static": "registry.example/static:1"}
