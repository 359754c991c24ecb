"""Where the log shipper resumes: Docker's per-line timestamps and the cursors kept in Redis
(paas.logstream stores them atomically with each append).

A container's cursor is `<ts_ns>:<k>`: every entry up to timestamp ts_ns was shipped, k of them
with exactly that timestamp (Docker gives several lines the same one). The router's is
`<inode>:<start>:<end>:<app id>`: the byte range [start, end) of the access log being shipped,
app by app in id order, up to and including that app.
"""
import calendar
import re
import time
from dataclasses import dataclass

# Docker's `since` filter drops entries strictly before it; a float of ~1.8e9 seconds is only
# exact to ~0.25 us, so ask from a little earlier and drop the repeats here.
SINCE_SLACK_NS = 1_000_000

_STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z")
_seconds_cache: tuple[str, int] = ("", 0)
_iso_cache: tuple[int, str] = (-1, "")


def docker_timestamp(text: str) -> int:
    """Nanoseconds since the epoch of Docker's RFC3339Nano `2026-11-23T10:00:00.12345Z` (the
    fraction has 0-9 digits: RFC3339Nano trims trailing zeros, RFC3339NanoFixed does not)."""
    global _seconds_cache
    match = _STAMP.fullmatch(text)
    if match is None:
        raise ValueError(f"not a Docker timestamp: {text!r}")
    whole, digits = match.group(1, 2)
    # Consecutive lines nearly always share their second.
    cached = _seconds_cache  # read once: follower threads share it
    if cached[0] == whole:
        seconds = cached[1]
    else:
        # Not strptime: slower, and not safe to call first from several threads at once.
        fields = (whole[0:4], whole[5:7], whole[8:10], whole[11:13], whole[14:16], whole[17:19])
        seconds = calendar.timegm(tuple(int(part) for part in fields))
        _seconds_cache = (whole, seconds)
    return seconds * 1_000_000_000 + (int(digits.ljust(9, "0")) if digits else 0)


def iso_of_ns(ts_ns: int) -> str:
    """logstream's line timestamp (ISO 8601 UTC, microseconds) of a time in nanoseconds."""
    global _iso_cache
    seconds, nanos = divmod(ts_ns, 1_000_000_000)
    cached = _iso_cache
    if cached[0] == seconds:
        whole = cached[1]
    else:
        whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _iso_cache = (seconds, whole)
    return f"{whole}.{nanos // 1000:06d}Z"


def container_field(container_id: str) -> str:
    return f"container:{container_id}"


class ContainerPosition:
    """How far a container's log has been shipped, and which entries of a stream resumed from
    there are repeats.

    Entries of stdout and stderr can reach the log slightly out of timestamp order, so the
    position is the latest timestamp shipped, not the last entry's."""

    def __init__(self, ts_ns: int = 0, count: int = 0) -> None:
        self.ts_ns = ts_ns
        self.count = count
        self.resume()

    @classmethod
    def decode(cls, value: str | None) -> "ContainerPosition":
        if not value:
            return cls()
        ts_ns, count = value.split(":")
        return cls(int(ts_ns), int(count))

    def encode(self) -> str:
        return f"{self.ts_ns}:{self.count}"

    def since(self) -> float | None:
        """Docker's `since` for a stream resumed here (None: from the beginning)."""
        if self.ts_ns <= SINCE_SLACK_NS:
            return None
        return (self.ts_ns - SINCE_SLACK_NS) / 1e9

    def resume(self) -> None:
        """Expect a new stream (from `since()`) that repeats what was already shipped."""
        self._floor = self.ts_ns
        self._repeats = self.count

    def admit(self, ts_ns: int) -> bool:
        """Whether the next entry of the stream, stamped ts_ns, is new; a new one advances the position."""
        if ts_ns < self._floor:
            return False
        if ts_ns == self._floor and self._repeats:
            self._repeats -= 1
            return False
        if ts_ns > self.ts_ns:
            self.ts_ns, self.count = ts_ns, 1
        elif ts_ns == self.ts_ns:
            self.count += 1
        return True


ROUTER_FIELD = "router-access"


@dataclass(frozen=True)
class RouterPosition:
    """The access log chunk [start, end) of the file with this inode, shipped for apps up to app_id."""

    inode: int
    start: int
    end: int
    app_id: int

    @classmethod
    def decode(cls, value: str | None) -> "RouterPosition | None":
        if not value:
            return None
        try:
            inode, start, end, app_id = (int(part) for part in value.split(":"))
        except ValueError:
            return None
        return cls(inode, start, end, app_id)

    def encode(self) -> str:
        return f"{self.inode}:{self.start}:{self.end}:{self.app_id}"
