"""An in-memory scheduler, for tests of what applications/ decides (release order, superseded
releases, back-off, drain, orphans) without an engine. It runs nothing: a process is a record
with a state, and every verb that changes something is logged in `calls`, in order. Retiring
only records the drain asked for; the test says when it is over (`finish_retiring`). The
router beside it is a record too (`routes_recorded`)."""
import itertools
import os
from collections.abc import Iterable

from router.target import Target
from runtime.log_source import LogSource
from runtime.plan import ReleasePlan, Slot
from runtime.processes import Process, ProcessState, ProcessStats, StartFailed
from runtime.scheduler import Address, Say, Scheduler

RUNNING = ProcessState(running=True, exit_code=None, restarts=0)


class FakeScheduler(Scheduler):
    def __init__(self) -> None:
        self.live: dict[str, Process] = {}  # by id: the processes that exist, running or not
        self.states: dict[str, ProcessState] = {}
        self.limits: dict[str, tuple[int, float]] = {}
        self.retiring: dict[str, float] = {}  # id: the drain it was given, until finish_retiring
        self.calls: list[tuple] = []
        self.failing: set[Slot] = set()  # slots whose start fails (their check, say)
        self.release_phase_fails = False
        self.images: set[str] = set()
        self._numbers = itertools.count(1)  # ids, ports and creation order in one

    # --- what a test arranges -------------------------------------------------------------
    def add(self, app: str, release: int, slot: Slot, *, memory_mb: int = 512, cpus: float = 1.0) -> Process:
        """A running process, as if started earlier (each one newer than the last)."""
        process_type, index = slot
        number = next(self._numbers)
        process = Process(
            id=f"{app}.v{release}.{process_type}.{index}#{number}", app=app, release=release,
            process_type=process_type, index=index, created=float(number),
            address=("127.0.0.1", 5000 + number) if process_type == "web" else None,
        )
        self.live[process.id] = process
        self.states[process.id] = RUNNING
        self.limits[process.id] = (memory_mb, cpus)
        return process

    def crash(self, process: Process, exit_code: int = 1) -> None:
        self.states[process.id] = ProcessState(running=False, exit_code=exit_code, restarts=0)

    def finish_retiring(self) -> None:
        """The drain windows are over: the processes being retired are gone."""
        for process_id in list(self.retiring):
            self._forget(process_id)

    # --- what a test reads ----------------------------------------------------------------
    def of(self, verb: str) -> list[tuple]:
        return [call[1:] for call in self.calls if call[0] == verb]

    @property
    def started(self) -> list[list[Slot]]:
        """The slots of each start asked for, in order."""
        return [list(slots) for _, slots in self.of("start")]

    @property
    def removed(self) -> list[str]:
        return [process_id for (process_id,) in self.of("remove")]

    @property
    def retired(self) -> list[tuple[str, float]]:
        """(id, drain) of each retire that took effect."""
        return self.of("retire")

    # --- the interface --------------------------------------------------------------------
    def release_phase(self, plan: ReleasePlan, say: Say) -> None:
        self.calls.append(("release_phase", plan.version))
        if self.release_phase_fails:
            raise StartFailed("the release command exited with code 1; nothing was changed")

    def start(self, plan: ReleasePlan, say: Say, *, slots: Iterable[Slot] | None = None) -> list[Process]:
        slots = plan.slots() if slots is None else list(slots)
        self.calls.append(("start", plan.version, tuple(slots)))
        started = []
        for slot in slots:
            group = plan.group(slot[0])
            started.append(self.add(plan.app, plan.version, slot, memory_mb=group.memory_mb, cpus=group.cpus))
        failed = [slot for slot in slots if slot in self.failing]
        if failed:
            self.remove(started)
            raise StartFailed(f"{failed[0][0]}.{failed[0][1]} did not pass its health check")
        return started

    def processes(self, app: str | None) -> list[Process]:
        return [p for p in self.live.values() if app is None or p.app == app]

    def state(self, process: Process) -> ProcessState:
        return self.states[process.id]

    def web_addresses(self, processes: Iterable[Process]) -> list[Address]:
        web = sorted((p for p in processes if p.process_type == "web" and p.address), key=lambda p: p.index)
        return [p.address for p in web]

    def fit_limits(self, process: Process, *, memory_mb: int, cpus: float) -> None:
        if self.limits[process.id] != (memory_mb, cpus):
            self.calls.append(("fit_limits", process.id, memory_mb, cpus))
            self.limits[process.id] = (memory_mb, cpus)

    def retire(self, processes: Iterable[Process], *, after: float = 0.0) -> None:
        for process in processes:
            if process.id not in self.retiring:  # as on an engine: a second retire is left to the first
                self.calls.append(("retire", process.id, after))
                self.retiring[process.id] = after

    def sleep(self, processes: Iterable[Process]) -> None:
        for process in processes:
            self.calls.append(("sleep", process.id))
            self.states[process.id] = ProcessState(running=False, exit_code=0, restarts=0)

    def wake(self, plan: ReleasePlan, processes: Iterable[Process], say: Say) -> list[Process]:
        woken = list(processes)
        self.calls.append(("wake", plan.version, tuple(p.label for p in woken)))
        failed = [p for p in woken if (p.process_type, p.index) in self.failing]
        if failed:
            self.sleep(woken)
            raise StartFailed(f"{failed[0].label} did not pass its health check")
        for process in woken:
            self.states[process.id] = RUNNING
        return woken

    def remove(self, processes: Iterable[Process]) -> None:
        for process in processes:
            self.calls.append(("remove", process.id))
            self._forget(process.id)

    def _forget(self, process_id: str) -> None:
        for records in (self.live, self.states, self.limits, self.retiring):
            records.pop(process_id, None)

    def remove_app(self, app_id: int, app: str) -> None:
        self.calls.append(("remove_app", app_id, app))
        self.remove(self.processes(app))

    def stats(self, process: Process) -> ProcessStats | None:
        return None

    def log_source(self) -> LogSource:
        raise NotImplementedError("the fake scheduler's processes print nothing")

    def app_network(self, app_id: int) -> str:
        return f"fake-app-{app_id}"

    def guard_host(self) -> None:
        pass

    def host_address(self) -> str:
        return "127.0.0.1"

    def image_exists(self, image: str) -> bool:
        return image in self.images

    def pull_image(self, repository: str, reference: str) -> str:
        self.images.add(f"{repository}@{reference}")
        return reference

    def remove_image(self, image: str) -> bool:
        present = image in self.images
        self.images.discard(image)
        return present


def fake_scheduler_installed(monkeypatch) -> FakeScheduler:
    """A fake as this process's scheduler (get_scheduler), for the test's duration."""
    from runtime import scheduler

    fake = FakeScheduler()
    monkeypatch.setattr(scheduler, "_made", (os.getpid(), fake))
    return fake


class Routes(list):
    """The routes the router was given, as (app id, host names, target)."""

    @property
    def targets(self) -> list[Target]:
        return [target for _, _, target in self]


def routes_recorded(monkeypatch) -> Routes:
    """Routes go to a record, for the test's duration: the real router (nginx, the kernel's
    rules) is never reached."""
    from applications import traffic

    routes = Routes()
    monkeypatch.setattr(traffic.routing, "route_app", lambda app_id, name, site, target: routes.append((app_id, list(site.host_names), target)))
    return routes
