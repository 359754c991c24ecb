"""The one interface for running containers: Docker on one host now, Docker Swarm later.

Callers speak in processes of an app's release (`web.1` of v3) and never in engine objects, so
a backend can be swapped without touching rollout, router or reconciler code.
"""
from abc import ABC, abstractmethod
from collections.abc import Callable
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
    memory_mb: int = 512
    cpus: float = 1.0
    app_id: int = 0  # which app's network the process joins (the name changes with a rename, the id never)

    @property
    def label(self) -> str:
        return f"{self.process_type}.{self.index}"

    @property
    def routed(self) -> bool:
        # As on Heroku, every process gets $PORT, but only web receives traffic.
        return self.process_type == "web"


@dataclass(frozen=True)
class Process:
    id: str
    app: str
    release: int
    process_type: str
    index: int
    address: tuple[str, int] | None  # where $PORT is published on 127.0.0.1; web only, while running
    # The container's own IP and $PORT. TCP checks must go here: docker-proxy accepts connections
    # on the published port even when nothing listens inside the container.
    internal_address: tuple[str, int] | None = None
    created: float = 0.0  # unix seconds: of two processes in one slot, the newer is the one to keep

    @property
    def label(self) -> str:
        return f"{self.process_type}.{self.index}"


@dataclass(frozen=True)
class ProcessState:
    running: bool
    exit_code: int | None
    restarts: int
    restarting: bool = False  # the engine's restart policy is bringing it back


@dataclass(frozen=True)
class ProcessStats:
    """One reading of a running process's counters. CPU counters are cumulative, so a percentage
    needs two readings (observability.metrics.cpu_percent)."""

    cpu_ns: int  # CPU time the process has used since it started
    system_cpu_ns: int  # CPU time the whole host has used (all CPUs), on the same clock
    online_cpus: int
    memory: int  # bytes in use, page cache excluded (as `docker stats` shows it)
    memory_limit: int  # bytes; the host's memory when the process has no limit
    at: float  # time.monotonic() of the reading


class Backend(ABC):
    @abstractmethod
    def start(self, spec: ProcessSpec) -> Process:
        """Create and start one process; a routed (web) process has $PORT published on 127.0.0.1."""

    @abstractmethod
    def run_once(self, spec: ProcessSpec, *, timeout: float, on_output: Callable[[str], None]) -> int:
        """Run a one-off process to completion (the release phase), passing on each output line;
        return its exit code. It is always removed; BackendError if it outlives `timeout`."""

    @abstractmethod
    def processes(self, app: str | None) -> list[Process]:
        """The app's processes that exist on the engine, running or not (None: every app's)."""

    @abstractmethod
    def state(self, process: Process) -> ProcessState: ...

    @abstractmethod
    def stats(self, process: Process) -> ProcessStats | None:
        """A reading of the process's CPU and memory counters; None if it is gone or not running.
        Cheap enough to call for every process every few seconds."""

    @abstractmethod
    def output_tail(self, process: Process, lines: int = 20) -> str: ...

    @abstractmethod
    def limits(self, process: Process) -> tuple[int, float]:
        """(memory_mb, cpus) the process runs with now; 0 means unlimited."""

    @abstractmethod
    def update_limits(self, process: Process, *, memory_mb: int, cpus: float) -> None:
        """Change the limits of a running process in place, without restarting it."""

    @abstractmethod
    def stop(self, process: Process, timeout: int) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds, then remove."""

    @abstractmethod
    def remove(self, process: Process) -> None:
        """Remove at once (SIGKILL)."""

    @abstractmethod
    def app_network(self, app_id: int) -> str:
        """The app's own network (made if absent), which its processes and its builds join and no
        other app's can reach."""

    @abstractmethod
    def remove_app_network(self, app_id: int) -> None:
        """Remove the app's network; its processes must be gone first."""

    @abstractmethod
    def guard_host(self) -> None:
        """Make sure no process can open a connection to this host (idempotent)."""

    @abstractmethod
    def host_address(self) -> str:
        """This host's address on the processes' network: connections made from it reach their
        internal addresses."""

    @abstractmethod
    def image_exists(self, image: str) -> bool: ...

    @abstractmethod
    def pull_image(self, repository: str, reference: str) -> str:
        """Pull `repository` at `reference` (a digest, sha256:..., or a tag) from its registry;
        return the image's digest there. The image is then known as repository@digest.
        BackendError, with the engine's or the registry's reason, if it cannot be pulled."""

    @abstractmethod
    def remove_image(self, image: str) -> bool:
        """Remove an image tag; False, not an error, if a container uses it or it is absent."""


def get_backend() -> Backend:
    from runtime.docker_backend import DockerBackend

    return DockerBackend()
