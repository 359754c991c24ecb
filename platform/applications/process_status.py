"""What really runs for an app, for the overview (dashboard and API): the live release's process
types with the containers the engine has for each, in the states the engine reports.

The formation rows say what is wanted; a row alone never shows as running (a type that the live
release dropped keeps its row for a later release, and a wanted process may have crashed)."""
import dataclasses
from dataclasses import dataclass, field

from applications.formation import formation_ensure
from applications.models import App, Release
from runtime.processes import BackendError, Process
from runtime.scheduler import Scheduler, get_scheduler


@dataclass(frozen=True)
class ProcessStatus:
    label: str  # web.1
    process_type: str
    release: int
    state: str  # up, restarting, crashed, down (Heroku's words), sleeping (scaled to zero)
    exit_code: int | None
    restarts: int
    created: float

    @property
    def badge(self) -> str:
        """The dashboard's badge colour for the state: a live green, a pending amber, a failed red."""
        return {"up": "live", "restarting": "pending", "sleeping": "sleeping"}.get(self.state, "failed")


@dataclass
class TypeStatus:
    process_type: str
    quantity: int | None  # None: the live release has no such type (its processes are stopping)
    memory_mb: int | None = None
    cpus: float | None = None
    processes: list[ProcessStatus] = field(default_factory=list)

    @property
    def up(self) -> int:
        return sum(1 for process in self.processes if process.state == "up")


@dataclass
class AppStatus:
    types: list[TypeStatus]
    engine_error: str = ""  # the engine did not answer: what runs is unknown

    @property
    def web_up(self) -> int:
        return sum(row.up for row in self.types if row.process_type == "web")


def _state_word(running: bool, restarting: bool, exit_code: int | None) -> str:
    if running:
        return "up"
    if restarting:
        return "restarting"
    return "crashed" if exit_code else "down"


def process_statuses(backend: Scheduler, app: App) -> list[ProcessStatus]:
    """The app's containers on the engine, by type and index; BackendError if it cannot say."""
    statuses = []
    processes: list[Process] = sorted(backend.processes(app.name), key=lambda p: (p.process_type, p.index, p.release))
    for process in processes:
        state = backend.state(process)
        statuses.append(ProcessStatus(
            label=process.label, process_type=process.process_type, release=process.release,
            state=_state_word(state.running, state.restarting, state.exit_code), exit_code=state.exit_code,
            restarts=state.restarts, created=process.created,
        ))
    return statuses


def app_status(app: App, live: Release | None) -> AppStatus:
    """`live`: the app's live release (the caller has it), whose process types are the rows."""
    if live is None:
        return AppStatus([])  # nothing was ever started (a failed first release left nothing)
    rows = {row.process_type: TypeStatus(row.process_type, row.quantity, row.memory_mb, row.cpus)
            for row in formation_ensure(app, live).values()}
    try:
        statuses = process_statuses(get_scheduler(), app)
    except BackendError as error:
        return AppStatus(list(rows.values()), engine_error=str(error))
    asleep = app.sleeping_since is not None
    for status in statuses:
        if asleep and status.process_type == "web" and status.release == live.version and status.state != "up":
            status = dataclasses.replace(status, state="sleeping")  # stopped by the platform, kept for the wake
        rows.setdefault(status.process_type, TypeStatus(status.process_type, None)).processes.append(status)
    return AppStatus(list(rows.values()))
