"""Issue 14, finding 3: each build step runs with the build limits (memory, CPU, processes, time) on
the app's own network, on the real engine (builders.build, without a platform instance)."""
import time
import uuid

import docker
import pytest

from accounts.models import Team
from applications.models import App
from builds import builders
from builds.errors import BuildFailed
from tests.support import BASE_IMAGE, source_archive

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


@pytest.fixture
def app(instance, settings) -> App:
    settings.PAAS_BUILD_BASE_IMAGES = [BASE_IMAGE]
    return App.objects.create(name="shop", team=Team.objects.create(name="shop-team"))


def build(app, tmp_path, dockerfile: str, build_id: int = 1) -> list[str]:
    said: list[str] = []
    builders.build(app=app, build_id=build_id, source=source_archive(tmp_path, {"Dockerfile": dockerfile}),
                   tag=f"paas-{app.name}-limits/app-{app.pk}:build-{build_id}", build_args={}, say=said.append)
    return said


@pytest.fixture(autouse=True)
def remove_tags():
    yield
    client = docker.from_env()
    for image in client.images.list(name="paas-shop-limits/*"):
        for tag in image.tags:
            client.images.remove(tag)


def test_a_build_step_has_the_build_memory_and_cpu_limits_and_the_apps_network(app, tmp_path, settings):
    settings.PAAS_BUILD_MEMORY_MB, settings.PAAS_BUILD_CPUS = 300, 0.5
    said = build(app, tmp_path, (
        f"FROM {BASE_IMAGE}\n"
        # cgroup v1 and v2 name the files differently; one of each pair exists.
        "RUN echo memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null)"
        " quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max 2>/dev/null | cut -d' ' -f1)"
        " net=$(ip -o -4 addr show eth0 | awk '{print $4}')\n"
    ))
    line = next(line for line in said if line.startswith("memory="))
    assert f"memory={300 * 1024 * 1024}" in line and "quota=50000" in line
    network = docker.from_env().networks.get(f"paas-{settings.PAAS_INSTANCE}-app-{app.pk}")
    subnet = network.attrs["IPAM"]["Config"][0]["Subnet"]
    assert line.split("net=")[1].rsplit(".", 1)[0] == subnet.rsplit(".", 1)[0]


def test_a_build_that_forks_past_the_process_limit_fails(app, tmp_path, settings):
    settings.PAAS_BUILD_PIDS_LIMIT = 40
    with pytest.raises(BuildFailed):
        build(app, tmp_path, f"FROM {BASE_IMAGE}\nRUN for i in $(seq 100); do sleep 30 & done; wait\n")


def test_a_build_past_the_time_limit_is_stopped_and_fails_saying_so(app, tmp_path, settings):
    settings.PAAS_BUILD_TIMEOUT = 3
    step = f"sleep 60 && echo {uuid.uuid4().hex}"  # never in the engine's layer cache
    started = time.monotonic()
    with pytest.raises(BuildFailed, match=r"did not finish within 3 s \(PAAS_BUILD_TIMEOUT\) and was stopped"):
        build(app, tmp_path, f"FROM {BASE_IMAGE}\nRUN {step}\n")
    assert time.monotonic() - started < 20
    # The step was killed, not left to finish (and be cached) in the engine.
    time.sleep(2)
    leftovers = docker.from_env().containers.list(all=True, filters={"ancestor": BASE_IMAGE})
    assert not [c for c in leftovers if c.status == "running" and step in " ".join(c.attrs["Config"].get("Cmd") or [])]


def test_a_build_step_cannot_gain_privileges_through_setuid_files(app, tmp_path):
    # The engine's own default (scripts/prereqs starts it with --no-new-privileges): the build API
    # cannot ask for it per build.
    said = build(app, tmp_path, f"FROM {BASE_IMAGE}\nRUN grep NoNewPrivs /proc/self/status\n")
    assert any(line.split() == ["NoNewPrivs:", "1"] for line in said), said
