"""The one interface for running containers: Docker on one host now, Docker Swarm later.

Callers speak in processes of an app's release (`web.1` of v3) and never in engine objects, so
a backend can be swapped without touching rollout, router or reconciler code.
"""
from abc import ABC, abstractmethod
from dataclasses import dataclass, field


class BackendError(Exception):
    """The engine refused or failed; the message says what a user or operator can do."""


@dataclass(frozen=True)
class ProcessSpec:
    app: str
    release: int
    process_type: str
    index: int
    image: str
    env: dict[str, str] = field(default_factory=dict)
    command: list[str] | None = None  # None: the image's own command

    @property
    def label(self) -> str:
        return f"{self.process_type}.{self.index}"


@dataclass(frozen=True)
class Process:
    id: str
    app: str
    release: int
    process_type: str
    index: int
    address: tuple[str, int] | None  # where $PORT is published on the host

    @property
    def label(self) -> str:
        return f"{self.process_type}.{self.index}"


@dataclass(frozen=True)
class ProcessState:
    running: bool
    exit_code: int | None
    restarts: int


class Backend(ABC):
    @abstractmethod
    def start(self, spec: ProcessSpec) -> Process:
        """Create and start one process; its $PORT is published on 127.0.0.1."""

    @abstractmethod
    def processes(self, app: str) -> list[Process]:
        """The app's processes that exist on the engine, running or not."""

    @abstractmethod
    def state(self, process: Process) -> ProcessState: ...

    @abstractmethod
    def output_tail(self, process: Process, lines: int = 20) -> str: ...

    @abstractmethod
    def stop(self, process: Process, timeout: int) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds, then remove."""

    @abstractmethod
    def remove(self, process: Process) -> None:
        """Remove at once (SIGKILL)."""


def get_backend() -> Backend:
    from runtime.docker_backend import DockerBackend

    return DockerBackend()
