"""Which process holds each slot of a release (web.1, web.2, worker.1...): the newest one.

A restart starts a slot's replacement beside the process it replaces, and the older one drains
until the reconciler stops it; until then both are listed. Every reader of "the app's
processes" that routes or replaces them asks here, so a draining process is never routed or
restarted again."""
from collections.abc import Iterable

from runtime.plan import Slot
from runtime.processes import Process


def slot_holders(processes: Iterable[Process], wanted: set[Slot]) -> tuple[dict[Slot, Process], list[Process]]:
    """The newest process of each slot the formation wants, and the others (superseded, or of a
    slot scaled away: they drain and go)."""
    holders: dict[Slot, Process] = {}
    superseded: list[Process] = []
    for process in sorted(processes, key=lambda p: (-p.created, p.id)):
        slot = (process.process_type, process.index)
        if slot in holders or slot not in wanted:
            superseded.append(process)
        else:
            holders[slot] = process
    return holders, superseded


def wanted_slots(rows: dict) -> set[Slot]:
    """The slots a formation wants: process type -> its Formation row (with a quantity)."""
    return {(process_type, index) for process_type, row in rows.items() for index in range(1, row.quantity + 1)}
