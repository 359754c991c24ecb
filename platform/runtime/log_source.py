"""Where the log shipper reads the apps' output: the engine's side of it behind one small interface.

The shipper (observability/shipper.py) lists the platform instance's containers, follows each
one's output from its cursor, and watches their starts and deaths; which engine answers is
this module's business. Each scheduler brings its own (Scheduler.log_source); Docker's is
runtime/docker/logs.py.
"""
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


class LogSourceError(Exception):
    """The engine cannot be reached or refused; trying again later may work."""


class ContainerGone(LogSourceError):
    """The container was removed."""


@dataclass(frozen=True)
class Container:
    """One of the instance's containers; app, process and index are None for one that runs no
    app process (a build step)."""

    id: str
    app: str | None = None
    process: str | None = None  # the process type: web, worker, release...
    index: int | None = None


@dataclass(frozen=True)
class ContainerEvent:
    action: str  # "start", "die", "kill", "oom" or "destroy"
    container: Container
    exit_code: str | None = None  # of a `die`


class Stream(Protocol):
    """An iterator that another thread may end at once with close()."""

    def __iter__(self) -> Iterator: ...

    def close(self) -> None: ...


class LogSource(ABC):
    @abstractmethod
    def containers(self) -> list[Container]:
        """Every container of this platform instance, running or not."""

    @abstractmethod
    def events(self) -> Stream:
        """ContainerEvents of the instance's containers from the moment of this call on (a
        listing made after it misses nothing); it ends if the engine drops it."""

    @abstractmethod
    def output(self, container_id: str, *, since: float | None, follow: bool) -> Stream:
        """The container's output from `since` (unix seconds; None: all it kept), stdout and
        stderr as written, as bytes entries `<RFC3339Nano timestamp> <text>`: the text keeps
        its newline, and a line longer than the engine's buffer comes in several entries.
        With `follow`, it goes on until the container stops. ContainerGone if it was removed."""

    @abstractmethod
    def running(self, container_id: str) -> bool:
        """Whether the container runs now (a restarting one does not); ContainerGone if removed."""
