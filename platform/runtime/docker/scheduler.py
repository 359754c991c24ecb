"""The scheduler on one host's Docker engine: a release's processes are containers, started
beside the old ones, checked, and stopped by a pool of this process's threads after a drain."""
import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from runtime.docker.containers import DockerContainers
from runtime.docker.logs import DockerLogSource
from runtime.healthcheck import NotReady, wait_until_ready
from runtime.log_source import LogSource
from runtime.plan import ReleasePlan, Slot
from runtime.processes import BackendError, Process, ProcessState, ProcessStats, StartFailed
from runtime.scheduler import Address, Say, Scheduler

log = logging.getLogger(__name__)

# How long the engine may take to remove a stopped build step, which holds the app's network.
NETWORK_RELEASE_SECONDS = 15.0


class DockerScheduler(Scheduler):
    def __init__(self) -> None:
        self._containers: DockerContainers | None = None
        self._connecting = threading.Lock()
        self._log_source = DockerLogSource()
        self._retiring: set[str] = set()
        self._retiring_lock = threading.Lock()
        # Stops wait up to PAAS_STOP_TIMEOUT for apps that ignore SIGTERM: never on a caller's thread.
        self._stopper = ThreadPoolExecutor(max_workers=4, thread_name_prefix="stop")

    @property
    def containers(self) -> DockerContainers:
        # Connected on first use: a process started while the engine is down (the log shipper,
        # the metrics sampler) comes up, and its first engine call says what is wrong.
        if self._containers is None:
            with self._connecting:
                if self._containers is None:
                    self._containers = DockerContainers()
        return self._containers

    def log_source(self) -> LogSource:
        return self._log_source

    # --- a release's processes ------------------------------------------------------------
    def release_phase(self, plan: ReleasePlan, say: Say) -> None:
        code = self.containers.run_once(
            plan.release_spec(), timeout=settings.PAAS_RELEASE_PHASE_TIMEOUT, on_output=lambda line: say(f"  {line}")
        )
        if code != 0:
            raise StartFailed(f"the release command exited with code {code}; nothing was changed")

    def start(self, plan: ReleasePlan, say: Say, *, slots: Iterable[Slot] | None = None) -> list[Process]:
        started: list[Process] = []
        try:
            for slot in plan.slots() if slots is None else slots:
                spec = plan.spec(slot)
                say(f"Starting {spec.label} of v{plan.version}")
                started.append(self.containers.start(spec))
            for process in started:
                if process.process_type == "web":
                    self._check(process, plan, say)
            for process in started:
                if process.process_type != "web" and not self.containers.state(process).running:
                    raise self._failure(process, "exited right after it started")
        except BaseException:
            # Nothing routes to them yet: whatever went wrong, they go.
            self.remove(started)
            raise
        return started

    def _check(self, process: Process, plan: ReleasePlan, say: Say) -> None:
        if process.address is None:
            raise self._failure(process, "has no port published for the router")
        try:
            waited = wait_until_ready(
                process, host=plan.host_names[0], check=plan.checks, headers=plan.check_headers,
                still_running=lambda: self.containers.state(process).running,
            )
        except NotReady as reason:
            raise self._failure(process, str(reason)) from None
        say(f"{process.label} passed its health check after {waited:.1f}s")

    def _failure(self, process: Process, reason: str) -> StartFailed:
        """Explain, with its exit code and last output, why a new process failed."""
        state = self.containers.state(process)
        output = self.containers.output_tail(process).rstrip()
        message = f"{process.label} {reason}"
        if state.exit_code is not None:
            message += f" (exit code {state.exit_code})"
        if output:
            message += f"\nLast output of {process.label}:\n{output}"
        return StartFailed(message)

    def processes(self, app: str | None) -> list[Process]:
        return self.containers.processes(app)

    def state(self, process: Process) -> ProcessState:
        return self.containers.state(process)

    def web_addresses(self, processes: Iterable[Process]) -> list[Address]:
        # The published loopback ports, not the containers' own IPs: when Docker stops a container
        # it deletes the kernel's connection tracking entries for that IP, and a new connection
        # through the app's endpoint that reuses an old one's source port can be deleted with
        # them (it then hangs). Entries for a loopback port are left alone, and the port stays
        # the same when the engine restarts the container (its IP may not).
        web = sorted((p for p in processes if p.process_type == "web" and p.address), key=lambda p: p.index)
        return [p.address for p in web]

    def fit_limits(self, process: Process, *, memory_mb: int, cpus: float) -> None:
        if self.containers.limits(process) != (memory_mb, cpus):
            self.containers.update_limits(process, memory_mb=memory_mb, cpus=cpus)

    def retire(self, processes: Iterable[Process], *, after: float = 0.0) -> None:
        for process in processes:
            with self._retiring_lock:
                if process.id in self._retiring:
                    continue
                self._retiring.add(process.id)
            self._stopper.submit(self._stop, process, after)

    def _stop(self, process: Process, after: float) -> None:
        try:
            time.sleep(after)
            self.containers.stop(process, timeout=settings.PAAS_STOP_TIMEOUT)
        except BackendError as error:
            log.warning("stopping %s of %s: %s", process.label, process.app, error)
        finally:
            with self._retiring_lock:
                self._retiring.discard(process.id)

    def sleep(self, processes: Iterable[Process]) -> None:
        stops = [self._stopper.submit(self.containers.halt, p, settings.PAAS_STOP_TIMEOUT) for p in processes]
        for stop in stops:
            stop.result()

    def wake(self, plan: ReleasePlan, processes: Iterable[Process], say: Say) -> list[Process]:
        woken: list[Process] = []
        try:
            for process in processes:
                say(f"Waking {process.label} of v{plan.version}")
                woken.append(self.containers.resume(process))
            for process in woken:
                if process.process_type == "web":
                    self._check(process, plan, say)
        except BaseException:
            self.sleep(woken)
            raise
        return woken

    def remove(self, processes: Iterable[Process]) -> None:
        for process in processes:
            self.containers.remove(process)

    def remove_app(self, app_id: int, app: str) -> None:
        self.remove(self.containers.processes(app))
        deadline = time.monotonic() + NETWORK_RELEASE_SECONDS
        while True:
            try:
                self.containers.remove_app_network(app_id)
                return
            except BackendError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)  # a killed build step is still being removed

    def stats(self, process: Process) -> ProcessStats | None:
        return self.containers.stats(process)

    # --- the host and its images -----------------------------------------------------------
    def app_network(self, app_id: int) -> str:
        return self.containers.app_network(app_id)

    def guard_host(self) -> None:
        self.containers.guard_host()

    def host_address(self) -> str:
        return self.containers.host_address()

    def image_exists(self, image: str) -> bool:
        return self.containers.image_exists(image)

    def pull_image(self, repository: str, reference: str) -> str:
        return self.containers.pull_image(repository, reference)

    def remove_image(self, image: str) -> bool:
        return self.containers.remove_image(image)
