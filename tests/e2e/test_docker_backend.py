"""The Docker backend against the real engine: hardened profile, formation, release phase, limits."""
import time

import docker
import docker.errors
import pytest

from runtime.processes import BackendError, ProcessSpec, ProcessState
from runtime.docker.containers import CAPABILITIES, DockerContainers
from runtime.healthcheck import CheckSettings, NotReady, wait_until_ready

pytestmark = pytest.mark.e2e


def _spec(image: str, process_type: str = "web", command: list[str] | None = None, **fields) -> ProcessSpec:
    return ProcessSpec(app="probe", release=1, process_type=process_type, index=1, image=image, command=command, **fields)


def _httpd(port: int) -> list[str]:
    return ["httpd", "-f", "-p", str(port), "-h", "/"]


def _leftovers(backend: DockerContainers, instance: str) -> list:
    return backend.client.containers.list(all=True, filters={"label": f"io.paas.instance={instance}"})


def test_web_process_runs_hardened_published_on_loopback_and_passes_tcp_check(backend, base_image, settings):
    process = backend.start(_spec(base_image, command=_httpd(settings.PAAS_CONTAINER_PORT), memory_mb=64, cpus=0.5))

    attrs = backend.client.containers.get(process.id).attrs
    host = attrs["HostConfig"]
    assert host["Memory"] == 64 * 1024 * 1024
    assert host["MemorySwap"] == host["Memory"]  # no swap beyond the limit
    assert host["NanoCpus"] == 500_000_000
    assert host["PidsLimit"] == settings.PAAS_PIDS_LIMIT
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["CapDrop"] == ["ALL"] and sorted(host["CapAdd"]) == sorted(CAPABILITIES)
    assert host["Init"] is True
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert attrs["Mounts"] == [] and not host["Binds"]
    bindings = attrs["NetworkSettings"]["Ports"][f"{settings.PAAS_CONTAINER_PORT}/tcp"]
    assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}
    assert process.address == ("127.0.0.1", int(bindings[0]["HostPort"]))
    assert process.internal_address[1] == settings.PAAS_CONTAINER_PORT

    waited = wait_until_ready(
        process, host="probe.localhost", check=CheckSettings(path="", timeout=1, attempts=40),
        still_running=lambda: backend.state(process).running,
    )
    assert waited < 10


def test_tcp_check_is_not_fooled_by_docker_proxy_when_nothing_listens(backend, base_image):
    process = backend.start(_spec(base_image, "web", ["sleep", "300"]))
    assert process.address is not None  # published: docker-proxy accepts there all the same

    with pytest.raises(NotReady, match="did not accept connections"):
        wait_until_ready(
            process, host="probe.localhost", check=CheckSettings(path="", timeout=0.5, attempts=3, interval=0.1),
            still_running=lambda: backend.state(process).running,
        )


def test_non_web_process_publishes_no_port_but_gets_PORT(backend, base_image, settings):
    process = backend.start(_spec(base_image, "worker", ["sleep", "300"]))

    attrs = backend.client.containers.get(process.id).attrs
    assert process.address is None
    assert not attrs["HostConfig"]["PortBindings"]
    assert not any(attrs["NetworkSettings"]["Ports"].values())
    assert f"PORT={settings.PAAS_CONTAINER_PORT}" in attrs["Config"]["Env"]
    assert process.internal_address is not None  # running, so it has an address on its network
    assert attrs["HostConfig"]["Init"] is True and attrs["HostConfig"]["CapDrop"] == ["ALL"]


def test_run_once_returns_the_exit_code_passes_lines_in_order_and_removes_its_container(backend, base_image, instance):
    lines = []

    code = backend.run_once(
        _spec(base_image, "release", ["sh", "-c", "echo one; echo two; exit 3"]), timeout=30, on_output=lines.append
    )

    assert code == 3
    assert lines == ["one", "two"]
    assert _leftovers(backend, instance) == []


def test_run_once_passes_each_line_on_as_it_comes(backend, base_image):
    arrivals = []

    backend.run_once(
        _spec(base_image, "release", ["sh", "-c", "echo first; sleep 2; echo second"]), timeout=30,
        on_output=lambda line: arrivals.append((line, time.monotonic())),
    )

    assert [line for line, _ in arrivals] == ["first", "second"]
    assert arrivals[1][1] - arrivals[0][1] > 1  # not buffered until the end


def test_run_once_kills_a_silent_command_that_outlives_its_timeout_and_leaves_nothing(backend, base_image, instance):
    started = time.monotonic()

    with pytest.raises(BackendError, match="did not finish within 2 s"):
        backend.run_once(_spec(base_image, "release", ["sleep", "60"]), timeout=2, on_output=lambda line: None)

    assert time.monotonic() - started < 6
    assert _leftovers(backend, instance) == []


def test_run_once_refuses_an_image_that_is_not_on_this_host(backend, instance):
    with pytest.raises(BackendError, match="is not on this host"):
        backend.run_once(_spec("paas-test/not-on-this-host:404", "release"), timeout=5, on_output=lambda line: None)
    assert _leftovers(backend, instance) == []


def test_update_limits_changes_a_running_container_in_place(backend, base_image):
    process = backend.start(_spec(base_image, "worker", ["sleep", "300"], memory_mb=128, cpus=1.0))
    assert backend.limits(process) == (128, 1.0)

    backend.update_limits(process, memory_mb=64, cpus=0.5)  # lowering memory needs swap lowered too
    assert backend.limits(process) == (64, 0.5)
    backend.update_limits(process, memory_mb=256, cpus=1.001)
    assert backend.limits(process) == (256, 1.001)  # exactly: a reconciler compares them with ==

    assert backend.state(process).running
    assert backend.client.containers.get(process.id).attrs["HostConfig"]["MemorySwap"] == 256 * 1024 * 1024


def test_stop_is_quick_for_a_pid_1_that_has_no_sigterm_handler(backend, base_image, settings):
    # Without docker-init, httpd as PID 1 ignores SIGTERM and every stop (drain, retire) would
    # wait out the whole stop timeout before SIGKILL.
    process = backend.start(_spec(base_image, "web", _httpd(settings.PAAS_CONTAINER_PORT)))
    assert backend.state(process).running
    started = time.monotonic()

    backend.stop(process, timeout=10)

    assert time.monotonic() - started < 5
    assert backend.state(process) == ProcessState(running=False, exit_code=None, restarts=0)  # removed


def test_remove_image_keeps_an_image_in_use_and_removes_an_unused_tag(backend, base_image, instance):
    repository = f"paas-{instance}/probe"
    image = backend.client.images.get(base_image)
    image.tag(repository, "in-use")
    image.tag(repository, "unused")
    backend.start(_spec(f"{repository}:in-use", "worker", ["sleep", "300"]))

    assert backend.remove_image(f"{repository}:in-use") is False
    backend.client.images.get(f"{repository}:in-use")  # still there

    assert backend.remove_image(f"{repository}:unused") is True
    with pytest.raises(docker.errors.ImageNotFound):
        backend.client.images.get(f"{repository}:unused")
    assert backend.remove_image(f"{repository}:unused") is False  # absent: no error
    backend.client.images.get(base_image)  # the shared image itself stays


def test_a_read_only_root_is_opt_in_and_leaves_tmp_writable(backend, base_image, settings):
    default = backend.start(_spec(base_image, process_type="worker", command=["sleep", "60"]))
    assert backend.client.containers.get(default.id).exec_run(["touch", "/written"]).exit_code == 0

    settings.PAAS_READ_ONLY_ROOT = True
    process = backend.start(_spec(base_image, process_type="worker", command=["sleep", "60"]))

    container = backend.client.containers.get(process.id)
    assert container.attrs["HostConfig"]["ReadonlyRootfs"] is True
    denied = container.exec_run(["touch", "/written"])
    assert denied.exit_code != 0 and b"Read-only file system" in denied.output
    assert container.exec_run(["touch", "/tmp/written"]).exit_code == 0
    assert container.exec_run(["sh", "-c", "mount | grep ' /tmp '"]).output.count(b"nosuid") == 1


def test_an_apps_network_is_its_own_even_when_another_apps_name_starts_with_its_name(backend, instance):
    # The engine's name filter matches by substring: app 1's lookups must not find app 12's network.
    twelve = backend.app_network(12)
    one = backend.app_network(1)

    assert (one, twelve) == (f"paas-{instance}-app-1", f"paas-{instance}-app-12")
    assert backend.client.networks.get(one).attrs["Name"] == one
    backend.remove_app_network(1)
    assert [n.name for n in backend.client.networks.list(names=[twelve])] == [twelve]
    assert not [n for n in backend.client.networks.list(names=[one]) if n.name == one]
