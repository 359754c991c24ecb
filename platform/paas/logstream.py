"""One log stream per app: a capped Redis stream of tagged lines (app, router, build, platform).

Every line gets the app's next sequence number `n`, given out atomically with the append, so
a viewer can tell exactly how many lines it missed (Heroku's L10), and a writer can store its
own resume point (a cursor) in the same atomic step, so a restarted writer neither repeats nor
skips lines. Readers get the recent history from here; live lines reach them through the
channel layer (observability.relay).
"""
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from django.conf import settings
from django.db import transaction
from redis.exceptions import RedisError

from paas.redis_client import redis_client

SOURCES = ("app", "router", "build", "platform")

# Each stream entry has two fields: `n` and `j`, the line as the JSON object viewers are sent
# ({"n":..,"ts":..,"source":..,"process":..,"line":..}). Encoded once here, so the relay joins
# them into a batch without decoding anything.
# KEYS: stream, sequence counter, set of app ids with a stream, cursor hash.
# ARGV: cap, app id, cursor field ("" for none), cursor value, then per line its JSON object
# without the opening brace and `n` ("ts":..,"line":..}), which the script completes.
_APPEND = """
local count = #ARGV - 4
local n = redis.call('INCRBY', KEYS[2], count) - count
for i = 5, #ARGV do
    n = n + 1
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'n', n, 'j', '{"n":' .. n .. ',' .. ARGV[i])
end
redis.call('SADD', KEYS[3], ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[4], ARGV[3], ARGV[4]) end
return n
"""


@dataclass(frozen=True)
class Line:
    ts: str  # ISO 8601 UTC with microseconds, when the line was written
    source: str  # app | router | build | platform
    process: str  # web.1 for app lines, "" otherwise
    line: str

    @property
    def tag(self) -> str:
        return f"{self.source}[{self.process}]" if self.process else self.source


@dataclass(frozen=True)
class Entry(Line):
    n: int  # the app's sequence number of this line: 1, 2, 3, ... with no gaps

    def as_json(self) -> dict:
        return {"n": self.n, "ts": self.ts, "source": self.source, "process": self.process, "line": self.line}

    def as_text(self) -> str:
        """Heroku's `logs` format: `2026-11-23T10:00:00.123456Z app[web.1]: hello`."""
        return f"{self.ts} {self.tag}: {self.line}"


def now_iso() -> str:
    return iso(datetime.now(timezone.utc))


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _prefix() -> str:
    return f"paas:{settings.PAAS_INSTANCE}:logs"


def stream_key(app_id: int) -> str:
    return f"{_prefix()}:{app_id}"


def apps_key() -> str:
    return f"{_prefix()}:apps"


def cursors_key() -> str:
    return f"{_prefix()}:cursors"


def app_id_of(key: bytes | str) -> int:
    key = key.decode() if isinstance(key, bytes) else key
    return int(key.rsplit(":", 1)[1])


_script = None


def append(app_id: int, lines: list[Line], *, cursor: tuple[str, str] | None = None, redis=None) -> int:
    """Add lines to the app's stream; returns the last sequence number (0 if no lines).

    `cursor` (field, value) is stored in the same atomic step: the writer's resume point."""
    global _script
    if not lines:
        return 0
    redis = redis or redis_client()
    if _script is None:
        _script = redis.register_script(_APPEND)
    key = stream_key(app_id)
    args = [settings.PAAS_LOG_LINES, app_id, *(cursor or ("", ""))]
    for line in lines:
        if line.source not in SOURCES:
            raise ValueError(f"unknown log source {line.source!r}")
        fields = {"ts": line.ts, "source": line.source, "process": line.process, "line": line.line}
        args.append(_compact(fields)[1:])
    return int(_script(keys=[key, f"{key}:n", apps_key(), cursors_key()], args=args, client=redis))


def say(app_id: int, source: str, text: str, *, process: str = "") -> None:
    """Append `text` (one or more lines) now. A lost log line must never fail the work it
    describes (a build, a rollout), so Redis trouble is swallowed here."""
    stamp = now_iso()
    lines = [Line(stamp, source, process, part) for part in text.splitlines() or [""]]
    try:
        append(app_id, lines)
    except RedisError:
        pass


def platform_event(app_id: int, text: str) -> None:
    """A platform event ("Release v5 created by alice", "web.2 crashed"), logged once the
    surrounding transaction commits (at once outside one), so an event never describes a change
    that was rolled back. Robust: Redis being away costs the line, never the callbacks after it
    (the rollout's queueing) nor the answer to a change that is saved."""
    transaction.on_commit(lambda: say(app_id, "platform", text), robust=True)


def cursor(field: str, *, redis=None) -> str | None:
    value = (redis or redis_client()).hget(cursors_key(), field)
    return value.decode() if value is not None else None


def forget_cursor(field: str, *, redis=None) -> None:
    (redis or redis_client()).hdel(cursors_key(), field)


def decode(fields: dict[bytes, bytes]) -> Entry:
    return Entry(**json.loads(fields[b"j"]))


def batch_json(rows: list[tuple[bytes, dict[bytes, bytes]]]) -> str:
    """Stream rows (as XREAD gives them) as the JSON list of their lines, joined, not re-encoded."""
    return "[" + b",".join(fields[b"j"] for _, fields in rows).decode() + "]"


def recent(app_id: int, count: int, *, redis=None) -> tuple[list[Entry], int]:
    """The last `count` lines, oldest first, and the sequence number of the app's latest line
    (read together, atomically: a viewer follows on from exactly there)."""
    redis = redis or redis_client()
    key = stream_key(app_id)
    with redis.pipeline(transaction=True) as pipe:
        pipe.xrevrange(key, count=max(count, 1))
        pipe.get(f"{key}:n")
        rows, latest = pipe.execute()
    rows = rows[:count] if count > 0 else []
    return [decode(fields) for _, fields in reversed(rows)], int(latest or 0)


def history_size(value: str | None, default: int) -> int:
    """How many recent lines a viewer asked for (`lines`; `default` if not said), within
    0..PAAS_LOG_LINES; ValueError if it is not a number."""
    if value is None or value == "":
        return default
    return min(max(int(value), 0), settings.PAAS_LOG_LINES)


def discard(app_id: int) -> None:
    """Drop what an earlier install (a fresh database, the same Redis) left under this app id."""
    redis = redis_client()
    redis.delete(stream_key(app_id), f"{stream_key(app_id)}:n")
    redis.srem(apps_key(), app_id)


def lines_json(entries: list[Entry]) -> str:
    return _compact([entry.as_json() for entry in entries])


# One encoder for every call: json.dumps with separators builds a new one each time. ASCII
# only (the default), so a line that is not valid Unicode still encodes, as escapes.
_compact = json.JSONEncoder(separators=(",", ":")).encode
