"""App containers on the local Docker engine, one at a time, with the hardened profile: what the
Docker scheduler (runtime/docker/scheduler.py) is built of."""
import secrets
import socket
import threading
from collections.abc import Callable
from datetime import datetime

import docker
import docker.errors
import requests
import requests.exceptions
from django.conf import settings

from runtime.docker import images, networks, stats
from runtime.docker.engine import docker_client, explain
from runtime.processes import BackendError, Process, ProcessSpec, ProcessState, ProcessStats

LABEL = "io.paas"
PORT_ATTEMPTS = 5
MB = 1024 * 1024
# What ordinary images need to start as root and drop to their own user; every other
# capability is dropped.
CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID", "NET_BIND_SERVICE", "KILL"]


def _free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DockerContainers:
    def __init__(self) -> None:
        self.client = docker_client()
        self.port = settings.PAAS_CONTAINER_PORT

    def _labels(self, app: str) -> dict[str, str]:
        return {f"{LABEL}.instance": settings.PAAS_INSTANCE, f"{LABEL}.app": app}

    def _name(self, spec: ProcessSpec, what: str) -> str:
        return f"paas-{settings.PAAS_INSTANCE}-{spec.app}-v{spec.release}-{what}-{secrets.token_hex(3)}"

    def _create(self, spec: ProcessSpec, name: str, **options):
        """Create (not start) a container of the spec with the hardened profile."""
        labels = self._labels(spec.app) | {
            f"{LABEL}.release": str(spec.release),
            f"{LABEL}.process": spec.process_type,
            f"{LABEL}.index": str(spec.index),
        }
        if settings.PAAS_READ_ONLY_ROOT:
            # Opt-in: an app that writes only to /tmp (and $HOME under it) runs with its image's
            # files unchangeable, so a compromised process cannot plant anything that outlives it.
            options.update(read_only=True, tmpfs={"/tmp": f"rw,nosuid,nodev,size={settings.PAAS_TMPFS_MB}m"})
        for attempt in range(2):
            try:
                # create, never containers.run: run pulls a missing image, and no registry is trusted here.
                return self.client.containers.create(
                    spec.image,
                    command=spec.command,
                    name=name,
                    environment={**spec.env, "PORT": str(self.port)},
                    labels=labels,
                    network=self.app_network(spec.app_id),
                    mem_limit=f"{spec.memory_mb}m",
                    memswap_limit=f"{spec.memory_mb}m",  # no swap beyond the memory limit
                    nano_cpus=round(spec.cpus * 1e9),
                    pids_limit=settings.PAAS_PIDS_LIMIT,
                    security_opt=["no-new-privileges"],
                    cap_drop=["ALL"],
                    cap_add=CAPABILITIES,
                    # docker-init as PID 1 forwards SIGTERM; an app running as PID 1 without a handler
                    # would ignore it, and every stop would wait out the whole stop timeout.
                    init=True,
                    **options,
                )
            except docker.errors.ImageNotFound:
                raise BackendError(f"image {spec.image} is not on this host") from None
            except docker.errors.NotFound as error:
                if attempt == 0 and "network" in explain(error):
                    networks.forget(spec.app_id)  # removed behind this process's back: make it again
                    continue
                raise BackendError(f"the engine could not create {spec.label}: {explain(error)}") from None
            except docker.errors.APIError as error:
                raise BackendError(f"the engine could not create {spec.label}: {explain(error)}") from None

    def start(self, spec: ProcessSpec) -> Process:
        # A port chosen here, not by the engine: Docker gives a restarted container a new random
        # port, which would silently break its route. Another process may grab the port between
        # our check and Docker's bind, hence the retries.
        for attempt in range(PORT_ATTEMPTS):
            name = self._name(spec, spec.label)
            ports = {f"{self.port}/tcp": ("127.0.0.1", _free_loopback_port())} if spec.routed else {}
            container = self._create(spec, name, ports=ports, restart_policy={"Name": "unless-stopped"})
            try:
                container.start()
                container.reload()
                break
            except docker.errors.APIError as error:
                self._remove_quietly(container)  # created, but never started
                explanation = explain(error)
                if "port is already allocated" in explanation and attempt + 1 < PORT_ATTEMPTS:
                    continue
                raise BackendError(f"the engine could not start {spec.label}: {explanation}") from None
        return self._process(container)

    def run_once(self, spec: ProcessSpec, *, timeout: float, on_output: Callable[[str], None]) -> int:
        container = self._create(spec, self._name(spec, spec.process_type))
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                container.kill()  # ends the log stream below
            except docker.errors.APIError:
                pass  # it finished meanwhile

        # A watchdog rather than a read timeout: a silent command must be killed on time too,
        # and on_output stays on the caller's thread.
        watchdog = threading.Timer(timeout, kill)
        try:
            container.start()
            watchdog.start()
            pending = b""
            for chunk in container.logs(stream=True, follow=True):
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    on_output(line.decode(errors="replace"))
            if pending:
                on_output(pending.decode(errors="replace"))
            exit_code = container.wait()["StatusCode"]
        except docker.errors.APIError as error:
            raise BackendError(f"the engine could not run {spec.process_type}: {explain(error)}") from None
        finally:
            watchdog.cancel()
            self._remove_quietly(container)
        if timed_out.is_set():
            raise BackendError(f"{spec.process_type} command did not finish within {timeout:g} s")
        return exit_code

    def _process(self, container) -> Process:
        labels = container.labels
        network = container.attrs["NetworkSettings"]
        # The configured binding, not the live one: it survives a restart (the backend picked the
        # port), so a container the engine is restarting keeps its place in the router.
        configured = (container.attrs["HostConfig"].get("PortBindings") or {}).get(f"{self.port}/tcp") or []
        bindings = configured or (network["Ports"] or {}).get(f"{self.port}/tcp") or []
        address = ("127.0.0.1", int(bindings[0]["HostPort"])) if bindings else None
        attached = network.get("Networks") or {}
        ip = next((n["IPAddress"] for n in attached.values() if n.get("IPAddress")), None)
        return Process(
            id=container.id,
            app=labels[f"{LABEL}.app"],
            release=int(labels[f"{LABEL}.release"]),
            process_type=labels[f"{LABEL}.process"],
            index=int(labels[f"{LABEL}.index"]),
            address=address,
            internal_address=(ip, self.port) if ip else None,
            created=datetime.fromisoformat(container.attrs["Created"]).timestamp(),
        )

    def processes(self, app: str | None) -> list[Process]:
        if app is not None:
            filters = {"label": [f"{k}={v}" for k, v in self._labels(app).items()]}
        else:  # every app container, not a build's intermediate ones (they carry the instance label too)
            filters = {"label": [f"{LABEL}.instance={settings.PAAS_INSTANCE}", f"{LABEL}.app"]}
        try:
            containers = self.client.containers.list(all=True, filters=filters, ignore_removed=True)
        except (docker.errors.APIError, requests.exceptions.ConnectionError) as error:
            raise BackendError(f"cannot list the containers of {app or 'the platform'}: {error}; is dockerd running?") from None
        return [self._process(c) for c in containers]

    def _container(self, process: Process):
        try:
            return self.client.containers.get(process.id)
        except docker.errors.NotFound:
            return None
        except (docker.errors.APIError, requests.exceptions.ConnectionError) as error:
            raise BackendError(f"cannot inspect {process.label} of {process.app}: {error}; is dockerd running?") from None

    def _existing(self, process: Process):
        container = self._container(process)
        if container is None:
            raise BackendError(f"{process.label} of {process.app} v{process.release} no longer exists")
        return container

    def state(self, process: Process) -> ProcessState:
        container = self._container(process)
        if container is None:
            return ProcessState(running=False, exit_code=None, restarts=0)
        state = container.attrs["State"]
        restarting = state.get("Restarting", False)
        return ProcessState(
            running=state["Running"] and not restarting,
            exit_code=None if state["Running"] and not restarting else state.get("ExitCode"),
            restarts=container.attrs.get("RestartCount", 0),
            restarting=restarting,
        )

    def stats(self, process: Process) -> ProcessStats | None:
        return stats.read(self.client, process)

    def output_tail(self, process: Process, lines: int = 20) -> str:
        container = self._container(process)
        if container is None:
            return ""
        return container.logs(tail=lines).decode(errors="replace")

    def limits(self, process: Process) -> tuple[int, float]:
        host_config = self._existing(process).attrs["HostConfig"]
        return (host_config.get("Memory") or 0) // MB, (host_config.get("NanoCpus") or 0) / 1e9

    def update_limits(self, process: Process, *, memory_mb: int, cpus: float) -> None:
        container = self._existing(process)
        # The SDK's update() cannot set NanoCpus, and CpuQuota conflicts with the NanoCpus the
        # container was created with. Swap must move with memory: Docker refuses a memory limit
        # above the swap limit.
        limits = {"Memory": memory_mb * MB, "MemorySwap": memory_mb * MB, "NanoCpus": round(cpus * 1e9)}
        api = self.client.api
        try:
            api._result(api._post_json(api._url("/containers/{0}/update", container.id), data=limits), json=True)
        except docker.errors.APIError as error:
            raise BackendError(f"the engine could not change the limits of {process.label}: {explain(error)}") from None

    def stop(self, process: Process, timeout: int) -> None:
        """Stop, then remove."""
        self.halt(process, timeout)
        self.remove(process)

    def halt(self, process: Process, timeout: int) -> None:
        """Stop, and keep: the engine's restart policy leaves a container stopped this way alone."""
        container = self._container(process)
        if container is None:
            return
        try:
            container.stop(timeout=timeout)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as error:
            raise BackendError(f"the engine could not stop {process.label}: {explain(error)}") from None

    def resume(self, process: Process) -> Process:
        """Start a stopped container again; it keeps its published port (chosen at creation)."""
        container = self._existing(process)
        try:
            container.start()
            container.reload()
        except docker.errors.APIError as error:
            raise BackendError(f"the engine could not start {process.label} again: {explain(error)}") from None
        return self._process(container)

    def _remove_quietly(self, container) -> None:
        try:
            container.remove(force=True, v=True)  # v: also the anonymous volumes of an image's VOLUMEs
        except docker.errors.NotFound:
            pass

    def remove(self, process: Process) -> None:
        container = self._container(process)
        if container is not None:
            self._remove_quietly(container)

    def app_network(self, app_id: int) -> str:
        return networks.ensure(self.client, app_id)

    def remove_app_network(self, app_id: int) -> None:
        networks.remove(self.client, app_id)

    def guard_host(self) -> None:
        networks.ensure_guard()

    def host_address(self) -> str:
        return networks.host_address(self.client)

    def image_exists(self, image: str) -> bool:
        return images.exists(self.client, image)

    def pull_image(self, repository: str, reference: str) -> str:
        return images.pull(self.client, repository, reference)

    def remove_image(self, image: str) -> bool:
        return images.remove(self.client, image)
