"""Containers' stdout/stderr into their apps' log streams: a follower thread per container reads
its output from the log source (runtime/log_source.py) from the container's cursor and hands
each line, with the cursor just past it, to the writer (log_batcher)."""
import logging
import threading
from collections.abc import Callable

from redis.exceptions import RedisError

from paas import logstream
from observability.log_batcher import Batcher
from observability.log_cursor import ContainerPosition, container_field, docker_timestamp, iso_of_ns
from runtime.log_source import ContainerGone, LogSource, LogSourceError

log = logging.getLogger(__name__)

# A line without a newline is shipped in pieces of this size (Docker splits at 16 KiB already).
MAX_LINE = 64 * 1024
# How often a follower of a stopped container looks whether it runs again, should the `start`
# event be missed (the events stream was down).
IDLE_CHECK = 10.0


class ContainerFollower:
    """Ships one container's log from its cursor on, across the container's restarts, until the
    container is removed or the follower is stopped."""

    def __init__(self, source: LogSource, container_id: str, app_id: int, process: str,
                 batcher: Batcher, *, on_exit: Callable[["ContainerFollower"], None] = lambda follower: None) -> None:
        self.container_id = container_id
        self.field = container_field(container_id)
        self.app_id = app_id
        self.process = process
        self._source = source
        self._batcher = batcher
        self._on_exit = on_exit
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._stream = None
        self._shipped: str | None = None  # the position of the last line handed to the batcher
        # Entries of a line longer than Docker's buffer, or not finished yet, and its first timestamp.
        self._pieces: list[bytes] = []
        self._size = 0
        self._started = 0
        self._thread = threading.Thread(target=self._run, name=f"logs-{container_id[:12]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """The container (re)started or was removed: look at it now."""
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        stream = self._stream
        if stream is not None:
            try:
                stream.close()  # unblocks the read in the follower's thread
            except Exception:  # noqa: BLE001 - the stream may be half torn down already
                pass

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            position = self._load()
            if position is not None:
                self._follow(position)
        except Exception:  # a bug here must cost one container's logs, not the shipper
            log.exception("log follower of container %s failed", self.container_id[:12])
        finally:
            self._on_exit(self)

    def _load(self) -> ContainerPosition | None:
        backoff = 0.5
        while not self._stopped.is_set():
            try:
                self._shipped = logstream.cursor(self.field)
                return ContainerPosition.decode(self._shipped)
            except RedisError as error:
                log.warning("cannot read log cursor of %s (will retry): %s", self.container_id[:12], error)
                self._stopped.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        return None

    def _follow(self, position: ContainerPosition) -> None:
        backoff = 0.5
        while not self._stopped.is_set():
            try:
                self._read(position, follow=True)
                # Docker ends a follow stream when the container stops, at times before the last
                # entries (a last line without newline) reach its log: read what came after once more.
                self._read(position, follow=False)
                if self._pieces and not self._stopped.is_set():
                    self._ship_pieces(position)  # the container stopped mid-line: that is all of it
                backoff = 0.5
            except ContainerGone:
                self._batcher.forget(self.field)
                return
            except LogSourceError as error:
                if self._stopped.is_set():
                    return
                log.warning("log stream of container %s broke (will retry): %s", self.container_id[:12], error)
                # Entries of a line left unfinished were admitted but not shipped: read them again.
                position = ContainerPosition.decode(self._shipped)
                self._pieces, self._size = [], 0
                self._wake.wait(backoff)
                self._wake.clear()
                backoff = min(backoff * 2, 10.0)
                continue
            if not self._until_running():
                return

    def _until_running(self) -> bool:
        """After a stream ended: wait until the container runs again (True) or is gone (False)."""
        # The first look comes soon: a stream also ends when the engine restarts the container.
        timeout = 0.1
        while True:
            self._wake.wait(timeout)
            self._wake.clear()
            if self._stopped.is_set():
                return False
            try:
                if self._source.running(self.container_id):
                    return True
            except ContainerGone:
                self._batcher.forget(self.field)
                return False
            except LogSourceError as error:
                log.warning("cannot inspect container %s (will retry): %s", self.container_id[:12], error)
            timeout = IDLE_CHECK

    def _read(self, position: ContainerPosition, *, follow: bool) -> None:
        if self._stopped.is_set():
            return
        position.resume()
        stream = self._source.output(self.container_id, since=position.since(), follow=follow)
        self._stream = stream
        if self._stopped.is_set():
            stream.close()
            return
        # One entry per frame: `<RFC3339Nano> <text>`, ending in a newline unless the line was
        # longer than the engine's buffer (Docker's: 16 KiB) and continues in the next entries.
        try:
            for frame in stream:
                space = frame.find(b" ")
                try:
                    ts_ns = docker_timestamp(frame[:space].decode("ascii"))
                except (ValueError, UnicodeDecodeError):
                    log.warning("unexpected log frame from container %s: %r", self.container_id[:12], frame[:60])
                    continue
                if not position.admit(ts_ns):
                    continue
                text = frame[space + 1:]
                if not self._pieces and text.endswith(b"\n"):
                    self._ship(ts_ns, text[:-1], position)
                    continue
                if not self._pieces:
                    self._started = ts_ns
                self._pieces.append(text)
                self._size += len(text)
                if text.endswith(b"\n") or self._size >= MAX_LINE:
                    self._ship_pieces(position)
        finally:
            self._stream = None
            stream.close()

    def _ship_pieces(self, position: ContainerPosition) -> None:
        text = b"".join(self._pieces).removesuffix(b"\n")
        self._pieces, self._size = [], 0
        self._ship(self._started, text, position)

    def _ship(self, ts_ns: int, text: bytes, position: ContainerPosition) -> None:
        line = text.decode("utf-8", "replace").removesuffix("\r")
        self._shipped = position.encode()
        self._batcher.add(self.field, self.app_id, logstream.Line(iso_of_ns(ts_ns), "app", self.process, line),
                          self._shipped)
