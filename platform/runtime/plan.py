"""A release as the runtime sees it: plain data, built from the database in one place
(applications/release_plan.py), so that a scheduler needs no models to run it."""
from dataclasses import dataclass, field
from types import MappingProxyType

from runtime.healthcheck import CheckSettings
from runtime.processes import ProcessSpec

Slot = tuple[str, int]  # ("web", 2): a process type and an index, what a Heroku user calls web.2


@dataclass(frozen=True)
class ProcessGroup:
    process_type: str
    command: list[str] | None  # None: the image's own command
    quantity: int
    memory_mb: int
    cpus: float


@dataclass(frozen=True)
class ReleasePlan:
    app_id: int  # the app's network and router endpoint are by id: the name changes with a rename
    app: str
    version: int
    image: str
    env: MappingProxyType  # the release's config vars, decrypted
    groups: tuple[ProcessGroup, ...]
    checks: CheckSettings
    host_names: tuple[str, ...]  # the first is the one a health check asks for
    check_headers: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    release_command: str = ""  # the Procfile's `release`, as the user wrote it; "" for none
    release_argv: tuple[str, ...] = ()  # what runs it
    release_memory_mb: int = 512
    release_cpus: float = 1.0

    def group(self, process_type: str) -> ProcessGroup | None:
        return next((g for g in self.groups if g.process_type == process_type), None)

    def slots(self) -> list[Slot]:
        """Every process of the formation, by type in the plan's order, then index."""
        return [(g.process_type, index) for g in self.groups for index in range(1, g.quantity + 1)]

    def spec(self, slot: Slot) -> ProcessSpec:
        process_type, index = slot
        group = self.group(process_type)
        return ProcessSpec(
            app=self.app, release=self.version, process_type=process_type, index=index, image=self.image,
            env={**self.env, "DYNO": f"{process_type}.{index}"}, command=group.command,
            memory_mb=group.memory_mb, cpus=group.cpus, app_id=self.app_id,
        )

    def release_spec(self) -> ProcessSpec:
        return ProcessSpec(
            app=self.app, release=self.version, process_type="release", index=1, image=self.image,
            env={**self.env, "DYNO": "release.1"}, command=list(self.release_argv),
            memory_mb=self.release_memory_mb, cpus=self.release_cpus, app_id=self.app_id,
        )
