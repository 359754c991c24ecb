"""The runtime's plain data: a process to start, a process that exists, its state and counters.

Callers speak in processes of an app's release (`web.1` of v3) and never in engine objects, so
a scheduler can be swapped without touching rollout, router or reconciler code.
"""
from dataclasses import dataclass, field


class BackendError(Exception):
    """The engine refused or failed; the message says what a user or operator can do."""


class StartFailed(BackendError):
    """A new process did not start or did not pass its check; it was removed, with the others
    started alongside it. The message has its exit code and last output."""


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
