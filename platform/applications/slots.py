"""Which process holds each slot of a release (web.1, web.2, worker.1...): the newest one.

A restart starts a slot's replacement beside the process it replaces, and the older one drains
until the reconciler stops it; until then both are listed. Every reader of "the app's
processes" that routes or replaces them asks here, so a draining process is never routed or
restarted again."""
from collections.abc import Iterable

from runtime.plan import Slot
from runtime.processes import Process


def slot_holders(processes: Iterable[Process]) -> tuple[dict[Slot, Process], list[Process]]:
    """The newest process of each slot, and the others (superseded: they drain and go)."""
    holders: dict[Slot, Process] = {}
    superseded: list[Process] = []
    for process in sorted(processes, key=lambda p: (-p.created, p.id)):
        slot = (process.process_type, process.index)
        if slot in holders:
            superseded.append(process)
        else:
            holders[slot] = process
    return holders, superseded
