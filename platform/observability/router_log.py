"""The router's access log into the apps' log streams (source `router`) and their request counts
(observability.router_stats, for the metrics). Each line names the app by id (the router's
`app=`), so a request is the app's whichever of its host names it came by; a line with none (no
app's server block took it, or an older config wrote it) belongs to no app.

The file is read in chunks of complete lines. One chunk holds lines of several apps but there is
one cursor, so each app's append stores how far into the chunk it got (log_cursor.RouterPosition):
a shipper stopped between two apps' appends finishes the same chunk for the remaining apps only.
"""
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from django.db import DatabaseError
from redis.exceptions import RedisError

from observability import router_load, router_stats
from paas import logstream
from observability.access_log import AccessRecord, parse, render
from observability.log_cursor import ROUTER_FIELD, RouterPosition

log = logging.getLogger(__name__)

MAX_CHUNK = 1 << 20
POLL_INTERVAL = 0.05  # seconds between looks at an idle file


class RouterLogFollower:
    def __init__(self, path: Path, app_exists: Callable[[int], bool]) -> None:
        self.path = Path(path)
        self._app_exists = app_exists
        self._fd: int | None = None
        self._inode = 0
        self._offset = 0  # where the next chunk starts
        self._chunk: RouterPosition | None = None  # a chunk read but not shipped for every app yet
        self._resumed = False
        self._saved: RouterPosition | None = None

    def run(self, should_stop: threading.Event) -> None:
        backoff = 0.5
        try:
            while not should_stop.is_set():
                try:
                    busy = self.poll()
                    backoff = 0.5
                except Exception as error:  # a dead thread would silently stop the router's lines
                    if isinstance(error, (RedisError, DatabaseError, OSError)):
                        log.warning("cannot ship the router's access log (will retry): %s", error)
                    else:
                        log.exception("shipping the router's access log failed (will retry)")
                    should_stop.wait(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                if not busy:
                    should_stop.wait(POLL_INTERVAL)
        finally:
            self.close()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def poll(self) -> bool:
        """Ship the complete lines written since the last poll; whether there were any."""
        if self._fd is None and not self._open():
            return False
        if self._chunk is None:
            data = os.pread(self._fd, MAX_CHUNK, self._offset)
            end = data.rfind(b"\n") + 1
            if end == 0:
                if len(data) == MAX_CHUNK:
                    # Not an nginx line (they are far shorter); skipping it beats stalling on it.
                    self._offset += len(data)
                    return True
                self._follow_rotation()
                return False
            self._chunk = RouterPosition(self._inode, self._offset, self._offset + end, 0)
            data = data[:end]
        else:
            # Exactly the chunk the cursor names, even if the file has grown since.
            data = os.pread(self._fd, self._chunk.end - self._chunk.start, self._chunk.start)
            if len(data) < self._chunk.end - self._chunk.start:  # truncated meanwhile
                self._chunk, self._offset = None, 0
                return True
        self._ship(data)
        self._offset, self._chunk = self._chunk.end, None
        return True

    def _open(self) -> bool:
        if not self._resumed:
            # Only the file found at start can be the one the cursor names; a file opened after a
            # rotation is new. Read before opening: a Redis error must leave nothing half done.
            self._saved = RouterPosition.decode(logstream.cursor(ROUTER_FIELD))
            self._resumed = True
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        status = os.fstat(fd)
        self._fd, self._inode = fd, status.st_ino
        self._offset, self._chunk = 0, None
        saved, self._saved = self._saved, None
        if saved and saved.inode == self._inode and saved.end <= status.st_size:
            self._offset, self._chunk = saved.start, saved
        return True

    def _follow_rotation(self) -> None:
        """Called when the open file has nothing new: nginx writes to a renamed file until it
        reopens its logs, so the old one is read to its end before moving to the new one."""
        try:
            current = os.stat(self.path).st_ino
        except FileNotFoundError:
            return  # renamed, and nginx has not created the new one yet
        if current != self._inode:
            self.close()
            self._open()
        elif os.fstat(self._fd).st_size < self._offset:  # truncated in place (copytruncate)
            self._offset = 0

    def _ship(self, data: bytes) -> None:
        chunk = self._chunk
        groups: dict[int, tuple[list[logstream.Line], list[AccessRecord]]] = {}
        exists: dict[int, bool] = {}
        for raw in data.split(b"\n")[:-1]:
            record = parse(raw.decode("utf-8", "replace"))
            if record is None or record.app_id is None:
                continue
            app_id = record.app_id
            if app_id not in exists:
                exists[app_id] = self._app_exists(app_id)  # a deleted app's last lines go nowhere
            if not exists[app_id]:
                continue
            lines, records = groups.setdefault(app_id, ([], []))
            lines.append(logstream.Line(logstream.iso(record.time), "router", "", render(record)))
            records.append(record)
        for app_id in sorted(groups):
            if app_id <= chunk.app_id:
                continue  # shipped before a restart
            lines, records = groups[app_id]
            done = replace(chunk, app_id=app_id)
            logstream.append(app_id, lines, cursor=(ROUTER_FIELD, done.encode()))
            self._chunk = chunk = done
            try:
                router_stats.record(app_id, records)
                router_load.record(app_id, records)
            except Exception as error:  # noqa: BLE001 - the lines are out; a lost count must not resend them
                log.warning("cannot count router requests of app %s: %s", app_id, error)
