"""The one interface for running apps' releases: Docker on one host now, Docker Swarm later.

Its verbs are coarse and take plain data (runtime/plan.py): start a release's processes and
check them, removing all of them on failure; what runs; retire after a drain; remove an app.
What to run and when (release order, superseded releases, back-off, drain windows, orphans)
is decided above it, in applications/, on the same verbs, so a second scheduler replaces
only this. The scheduler is chosen by PAAS_SCHEDULER and made once per process.
"""
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils.module_loading import import_string

from runtime.log_source import LogSource
from runtime.plan import ReleasePlan, Slot
from runtime.processes import Process, ProcessState, ProcessStats

Say = Callable[[str], None]
Address = tuple[str, int]


class Scheduler(ABC):
    @abstractmethod
    def release_phase(self, plan: ReleasePlan, say: Say) -> None:
        """Run the plan's release command to completion in a one-off process, passing on its
        output; StartFailed if it exits non-zero, BackendError if it outlives its timeout."""

    @abstractmethod
    def start(self, plan: ReleasePlan, say: Say, *, slots: Iterable[Slot] | None = None) -> list[Process]:
        """Start the plan's processes (every slot, or those given) beside whatever runs, and check
        them: web processes pass the plan's health check, the others keep running. On any
        failure every process started here is removed again and StartFailed (or BackendError)
        says why; nothing else changed."""

    @abstractmethod
    def processes(self, app: str | None) -> list[Process]:
        """The app's processes that exist, running or not (None: every app's)."""

    @abstractmethod
    def state(self, process: Process) -> ProcessState: ...

    @abstractmethod
    def web_addresses(self, processes: Iterable[Process]) -> list[Address]:
        """Where the router sends traffic for these processes: their web ones, by index."""

    @abstractmethod
    def fit_limits(self, process: Process, *, memory_mb: int, cpus: float) -> None:
        """Give a running process these limits, in place, if it has others."""

    @abstractmethod
    def retire(self, processes: Iterable[Process], *, after: float = 0.0) -> None:
        """Stop the processes gracefully `after` seconds from now (the drain window), without
        waiting for it: SIGTERM, then SIGKILL after PAAS_STOP_TIMEOUT. A process already
        being retired is left to that."""

    @abstractmethod
    def sleep(self, processes: Iterable[Process]) -> None:
        """Stop the processes gracefully (SIGTERM, then SIGKILL after PAAS_STOP_TIMEOUT) and keep
        them for a wake; returns once they have stopped."""

    @abstractmethod
    def wake(self, plan: ReleasePlan, processes: Iterable[Process], say: Say) -> list[Process]:
        """Start sleeping processes of the plan again and check them as `start` does. On any
        failure every one of them is stopped again (kept, asleep) and StartFailed (or
        BackendError) says why."""

    @abstractmethod
    def remove(self, processes: Iterable[Process]) -> None:
        """Remove the processes at once (SIGKILL)."""

    @abstractmethod
    def remove_app(self, app_id: int, app: str) -> None:
        """Remove everything the app runs and its network."""

    @abstractmethod
    def stats(self, process: Process) -> ProcessStats | None:
        """A reading of the process's CPU and memory counters; None if it is gone or not running.
        Cheap enough to call for every process every few seconds."""

    @abstractmethod
    def log_source(self) -> LogSource:
        """Where the log shipper reads the processes' output and their starts and deaths."""

    @abstractmethod
    def app_network(self, app_id: int) -> str:
        """The app's own network (made if absent), which its processes and builds join and no
        other app's can reach."""

    @abstractmethod
    def guard_host(self) -> None:
        """Make sure no process can open a connection to this host (idempotent)."""

    @abstractmethod
    def host_address(self) -> str:
        """This host's address on the processes' network: connections made from it reach them."""

    @abstractmethod
    def image_exists(self, image: str) -> bool: ...

    @abstractmethod
    def pull_image(self, repository: str, reference: str) -> str:
        """Pull `repository` at `reference` (a digest or a tag) from its registry; the image's
        digest there. BackendError, with the engine's or the registry's reason, if it cannot."""

    @abstractmethod
    def remove_image(self, image: str) -> bool:
        """Remove an image tag; False, not an error, if a process uses it or it is absent."""


_made: tuple[int, Scheduler] | None = None
_making = threading.Lock()


def get_scheduler() -> Scheduler:
    """This process's scheduler. Per process id: an rq worker forks a work horse per job, and a
    child must not share its parent's connections to the engine."""
    global _made
    made = _made
    if made is None or made[0] != os.getpid():
        with _making:
            if _made is None or _made[0] != os.getpid():
                _made = (os.getpid(), import_string(settings.PAAS_SCHEDULER)())
            made = _made
    return made[1]
