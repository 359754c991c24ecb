"""The pack builder's side of Cloud Native Buildpacks builds. These machines have no pack CLI and
no registry to fetch a builder image from, so a stand-in `pack` (a script that records how it was
called, prints, and tags an image as pack would) checks the invocation, the streamed output and
the failures; the engine is real."""
import json
import stat
import sys

import docker
import pytest

from builds import pack
from builds.errors import BuildFailed
from builds.source import SourceArchive
from tests.support import BASE_IMAGE, source_archive

pytestmark = pytest.mark.e2e

STAND_IN = """\
#!{python}
import json, os, subprocess, sys
arguments = sys.argv[1:]
env_file = arguments[arguments.index("--env-file") + 1]
record = {{"argv": arguments, "env_file": open(env_file).read(), "env_mode": oct(os.stat(env_file).st_mode & 0o777),
          "source": sorted(os.listdir(arguments[arguments.index("--path") + 1])), "environment": sorted(os.environ)}}
open({record!r}, "w").write(json.dumps(record))
print("===> DETECTING", flush=True)
print("===> BUILDING", flush=True)
if "STAND_IN_FAILS=1" in record["env_file"]:
    print("ERROR: failed to build: exit status 1", flush=True)
    sys.exit(1)
subprocess.run(["docker", "tag", {base!r}, arguments[1]], check=True)
"""


@pytest.fixture
def source(tmp_path) -> SourceArchive:
    return source_archive(tmp_path, {"Procfile": "web: ./serve\n"})


@pytest.fixture
def stand_in_pack(tmp_path, settings, instance):
    record = tmp_path / "pack-call.json"
    binary = tmp_path / "pack"
    binary.write_text(STAND_IN.format(python=sys.executable, record=str(record), base=BASE_IMAGE))
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    settings.PAAS_PACK_BINARY = str(binary)
    settings.PAAS_PACK_BUILDER = BASE_IMAGE  # present in the engine, as a real builder image would be
    return record


def test_pack_build_is_invoked_as_an_argument_list_and_its_output_streamed(source, stand_in_pack, instance, monkeypatch):
    monkeypatch.setenv("PAAS_CONFIG_KEYS", "the worker's own secret")
    tag = f"paas-{instance}/shop:build-1"
    said = []

    pack.build(source=source, tag=tag, env={"PIP_INDEX_URL": "https://user:secret@pypi.example/simple"}, network="none",
               say=said.append)

    call = json.loads(stand_in_pack.read_text())
    assert call["argv"][:4] == ["build", tag, "--builder", BASE_IMAGE]
    assert call["argv"][call["argv"].index("--pull-policy") + 1] == "if-not-present"
    assert call["source"] == ["Procfile"]  # the pushed commit, unpacked
    assert "secret" not in " ".join(call["argv"])  # build-time values go in a file, not on the command line
    assert call["env_file"] == "PIP_INDEX_URL=https://user:secret@pypi.example/simple\n"
    assert call["env_mode"] == "0o600"
    assert "PATH" in call["environment"] and "PAAS_CONFIG_KEYS" not in call["environment"]
    assert said == [f"-----> Building with Cloud Native Buildpacks ({BASE_IMAGE})", "===> DETECTING", "===> BUILDING"]
    assert docker.from_env().images.get(tag)


def test_a_failing_pack_build_fails_the_build_with_its_output_shown(source, stand_in_pack, instance):
    said = []

    with pytest.raises(BuildFailed, match="pack build exited with status 1"):
        pack.build(source=source, tag=f"paas-{instance}/shop:build-2", env={"STAND_IN_FAILS": "1"}, network="none",
                   say=said.append)

    assert said[-1] == "ERROR: failed to build: exit status 1"


def test_a_missing_builder_image_is_named(source, stand_in_pack, settings, instance):
    settings.PAAS_PACK_BUILDER = "heroku/builder:24"

    with pytest.raises(BuildFailed, match=r"the pack builder image 'heroku/builder:24' is not on the build host: docker pull it"):
        pack.build(source=source, tag=f"paas-{instance}/shop:build-3", env={}, network="none", say=lambda line: None)


def test_a_missing_pack_cli_is_named(source, settings, instance):
    settings.PAAS_PACK_BINARY = "pack-not-installed-here"

    with pytest.raises(BuildFailed, match=r"needs the pack CLI \('pack-not-installed-here' is not on the build host's PATH\)"):
        pack.build(source=source, tag=f"paas-{instance}/shop:build-4", env={}, network="none", say=lambda line: None)


@pytest.mark.parametrize("env, message", [
    ({"KEY": "a\nb"}, "spans lines"),
    ({"DATABASE_URL\n": "x"}, "not a config var name"),  # a bare name would pass on the worker's own
])
def test_build_values_the_env_file_cannot_carry_are_refused(source, stand_in_pack, instance, env, message):
    with pytest.raises(BuildFailed, match=message):
        pack.build(source=source, tag=f"paas-{instance}/shop:build-5", env=env, network="none", say=lambda line: None)
