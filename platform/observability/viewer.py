"""What one viewer of a log stream is sent: the history, then live batches without repeats, and
a notice with the exact count when it fell behind and lines were dropped for it."""
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Missed:
    count: int


class Viewer:
    def __init__(self, last_seen: int) -> None:
        self.last_seen = last_seen  # the app's sequence number of the last line this viewer has

    def take(self, first: int, last: int, lines_json: str) -> tuple[Missed | None, str | None]:
        """Lines `first`..`last` arrived (a JSON list of entries): what to tell the viewer.

        Returns (a Missed notice or None, the JSON list of lines it has not had, or None)."""
        if last <= self.last_seen:
            return None, None  # already sent with the history
        missed = Missed(first - self.last_seen - 1) if first > self.last_seen + 1 else None
        if first <= self.last_seen:
            # Overlaps the history it was sent on connect: keep only what is new.
            fresh = [entry for entry in json.loads(lines_json) if entry["n"] > self.last_seen]
            lines_json = json.dumps(fresh, separators=(",", ":"))
        self.last_seen = last
        return missed, lines_json
