"""The arithmetic of usage: what one container used between two readings of its counters."""
from dataclasses import dataclass, fields
from datetime import datetime, timezone

from runtime.processes import ProcessStats

GB = 2**30  # bytes: memory is billed in GiB-seconds, as Cloud Run and Lambda do


@dataclass
class Usage:
    container_seconds: float = 0.0
    cpu_seconds: float = 0.0
    memory_reserved_gb_seconds: float = 0.0
    memory_used_gb_seconds: float = 0.0
    requests: int = 0

    def add(self, other: "Usage") -> None:
        for name in FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, float | int]:
        return {name: getattr(self, name) for name in FIELDS}


FIELDS = tuple(field.name for field in fields(Usage))


def hour_of(unix_seconds: float) -> datetime:
    """The start of the UTC hour holding this moment."""
    return datetime.fromtimestamp(unix_seconds // 3600 * 3600, timezone.utc)


def running_usage(cpu_ns: int, current: ProcessStats, seconds: float) -> Usage:
    """`cpu_ns` of CPU time used over `seconds` of running, at the current reading's memory."""
    seconds = max(seconds, 0.0)
    return Usage(
        container_seconds=seconds,
        cpu_seconds=max(cpu_ns, 0) / 1e9,
        memory_reserved_gb_seconds=current.memory_limit / GB * seconds,
        memory_used_gb_seconds=current.memory / GB * seconds,
    )


def usage_between(previous: ProcessStats, current: ProcessStats, *, max_seconds: float | None = None) -> Usage:
    """Use between two readings of one container. A counter lower than before means the process
    restarted (the engine's restart policy): all its CPU time is since then. `max_seconds` caps the
    running time when the container was seen stopped in between (its sleep costs nothing)."""
    cpu_ns = current.cpu_ns - previous.cpu_ns if current.cpu_ns >= previous.cpu_ns else current.cpu_ns
    seconds = current.at - previous.at
    if max_seconds is not None:
        seconds = min(seconds, max_seconds)
    return running_usage(cpu_ns, current, seconds)
