"""Single-host backend on the local Docker engine."""
import secrets
import socket

import docker
import docker.errors
from django.conf import settings

from runtime.backend import Backend, BackendError, Process, ProcessSpec, ProcessState

LABEL = "io.paas"
PORT_ATTEMPTS = 5


def _free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def docker_client() -> docker.DockerClient:
    try:
        return docker.from_env(timeout=120)
    except docker.errors.DockerException as error:
        raise BackendError(f"cannot reach the Docker engine ({error}); is dockerd running?") from None


class DockerBackend(Backend):
    def __init__(self) -> None:
        self.client = docker_client()
        self.port = settings.PAAS_CONTAINER_PORT

    def _labels(self, app: str) -> dict[str, str]:
        return {f"{LABEL}.instance": settings.PAAS_INSTANCE, f"{LABEL}.app": app}

    def start(self, spec: ProcessSpec) -> Process:
        labels = self._labels(spec.app) | {
            f"{LABEL}.release": str(spec.release),
            f"{LABEL}.process": spec.process_type,
            f"{LABEL}.index": str(spec.index),
        }
        # A port chosen here, not by the engine: Docker gives a restarted container a new random
        # port, which would silently break its route. Another process may grab the port between
        # our check and Docker's bind, hence the retries.
        for attempt in range(PORT_ATTEMPTS):
            name = f"paas-{settings.PAAS_INSTANCE}-{spec.app}-v{spec.release}-{spec.label}-{secrets.token_hex(3)}"
            try:
                container = self.client.containers.run(
                    spec.image,
                    command=spec.command,
                    name=name,
                    detach=True,
                    environment={**spec.env, "PORT": str(self.port)},
                    labels=labels,
                    ports={f"{self.port}/tcp": ("127.0.0.1", _free_loopback_port())},
                    restart_policy={"Name": "unless-stopped"},
                )
                container.reload()
                break
            except docker.errors.ImageNotFound:
                raise BackendError(f"image {spec.image} is not on this host") from None
            except docker.errors.APIError as error:
                explanation = str(error.explanation or error)
                if "port is already allocated" in explanation and attempt + 1 < PORT_ATTEMPTS:
                    self._remove_named(name)  # created, but never started
                    continue
                raise BackendError(f"the engine could not start {spec.label}: {explanation}") from None
        return self._process(container)

    def _process(self, container) -> Process:
        labels = container.labels
        bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get(f"{self.port}/tcp") or []
        address = ("127.0.0.1", int(bindings[0]["HostPort"])) if bindings else None
        return Process(
            id=container.id,
            app=labels[f"{LABEL}.app"],
            release=int(labels[f"{LABEL}.release"]),
            process_type=labels[f"{LABEL}.process"],
            index=int(labels[f"{LABEL}.index"]),
            address=address,
        )

    def processes(self, app: str) -> list[Process]:
        filters = {"label": [f"{k}={v}" for k, v in self._labels(app).items()]}
        return [self._process(c) for c in self.client.containers.list(all=True, filters=filters)]

    def _container(self, process: Process):
        try:
            return self.client.containers.get(process.id)
        except docker.errors.NotFound:
            return None

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
        )

    def output_tail(self, process: Process, lines: int = 20) -> str:
        container = self._container(process)
        if container is None:
            return ""
        return container.logs(tail=lines).decode(errors="replace")

    def stop(self, process: Process, timeout: int) -> None:
        container = self._container(process)
        if container is None:
            return
        try:
            container.stop(timeout=timeout)
            container.remove(force=True)
        except docker.errors.NotFound:
            pass

    def _remove_named(self, name: str) -> None:
        try:
            self.client.containers.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass

    def remove(self, process: Process) -> None:
        container = self._container(process)
        if container is not None:
            try:
                container.remove(force=True)
            except docker.errors.NotFound:
                pass
