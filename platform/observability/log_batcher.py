"""One writer for the container followers' lines: each container's pending lines go to its app's
log stream in one append that also stores the container's cursor, when BATCH_LINES are pending or
BATCH_DELAY after the first one (so followers never wait on Redis per line)."""
import logging
import threading
import time
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from paas import logstream

log = logging.getLogger(__name__)

BATCH_LINES = 500
BATCH_DELAY = 0.02  # seconds after a batch's first line: the latency a viewer sees at worst
# While Redis is slow or away a follower stops reading at this many pending lines: Docker keeps
# the rest in its log file, and the shipper's memory stays bounded.
MAX_PENDING = 20 * BATCH_LINES
FORGOTTEN_TTL = 300.0


@dataclass
class _Batch:
    app_id: int
    first_at: float  # time.monotonic() of its first line
    lines: list[logstream.Line] = field(default_factory=list)
    cursor: str = ""


class Batcher:
    """Collects lines per cursor field and appends them from one thread: when BATCH_LINES are
    pending, or BATCH_DELAY after the first one."""

    def __init__(self, *, lines: int = BATCH_LINES, delay: float = BATCH_DELAY, limit: int = MAX_PENDING) -> None:
        self._lines, self._delay, self._limit = lines, delay, limit
        self._cond = threading.Condition()
        self._pending: dict[str, _Batch] = {}
        # Cursors of removed containers, deleted again after any write that re-creates them.
        self._forgotten: dict[str, float] = {}
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, field: str, app_id: int, line: logstream.Line, cursor: str) -> None:
        """Queue `line`; `cursor` is the field's resume point once it is written. Blocks while the
        field has MAX_PENDING lines waiting; dropped once closed (its cursor was not written)."""
        with self._cond:
            while True:
                if self._closed:
                    return
                batch = self._pending.get(field)
                if batch is None:
                    batch = self._pending[field] = _Batch(app_id, time.monotonic())
                    self._cond.notify_all()  # the writer starts this batch's timer
                    break
                if len(batch.lines) < self._limit:
                    break
                self._cond.wait()
            batch.lines.append(line)
            batch.cursor = cursor
            if len(batch.lines) == self._lines:
                self._cond.notify_all()

    def forget(self, field: str) -> None:
        """Delete the cursor of a removed container, now and after any write still to come."""
        with self._cond:
            self._forgotten[field] = time.monotonic()
        try:
            logstream.forget_cursor(field)
        except RedisError as error:
            log.warning("cannot forget log cursor %s: %s", field, error)

    def close(self, timeout: float) -> None:
        """Write what is pending (once, best effort) and stop."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _take(self) -> tuple[list[tuple[str, _Batch]], bool]:
        with self._cond:
            while True:
                now = time.monotonic()
                due = [
                    name for name, batch in self._pending.items()
                    if self._closed or len(batch.lines) >= self._lines or now - batch.first_at >= self._delay
                ]
                if due or self._closed:
                    break
                wake = min((batch.first_at + self._delay for batch in self._pending.values()), default=None)
                self._cond.wait(None if wake is None else max(wake - now, 0.001))
            taken = [(name, self._pending.pop(name)) for name in due]
            self._cond.notify_all()  # followers held back by MAX_PENDING
            for name, at in list(self._forgotten.items()):
                if now - at > FORGOTTEN_TTL:
                    del self._forgotten[name]
            return taken, self._closed

    def _run(self) -> None:
        backoff = 0.5
        while True:
            taken, closing = self._take()
            failed = self._write(taken)
            if closing:
                if failed:
                    log.warning("shipper stopping with %d unwritten lines; they ship on its next start",
                                sum(len(batch.lines) for _, batch in failed))
                return
            if not failed:
                backoff = 0.5
                continue
            with self._cond:
                # Back in front of what came meanwhile, so each field keeps its order.
                for name, batch in failed:
                    newer = self._pending.get(name)
                    if newer is not None:
                        batch.lines.extend(newer.lines)
                        batch.cursor = newer.cursor
                    self._pending[name] = batch
                self._cond.wait_for(lambda: self._closed, timeout=backoff)
            backoff = min(backoff * 2, 10.0)

    def _write(self, taken: list[tuple[str, _Batch]]) -> list[tuple[str, _Batch]]:
        """Append each batch with its cursor; returns those not written (Redis is unavailable)."""
        for position, (name, batch) in enumerate(taken):
            try:
                logstream.append(batch.app_id, batch.lines, cursor=(name, batch.cursor))
            except RedisError as error:
                log.warning("cannot append log lines (will retry): %s", error)
                return taken[position:]
            if name in self._forgotten:
                self.forget(name)
        return []
