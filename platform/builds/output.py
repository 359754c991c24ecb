"""A build's output as it happens: a capped Redis stream that the git push (and later the
dashboard) follows, ended by one `end` entry that carries the outcome. A `ready` entry before
it says the release is started and checked and waits for the push's branch to hold the commit."""
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from paas import logstream
from paas.redis_client import redis_client

MAX_LINES = 20000
KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Ending:
    succeeded: bool
    message: str


@dataclass(frozen=True)
class Ready:
    """The new release waits to go live until git has moved the push's branch to its commit."""


READY = Ready()


def _key(build_id: int) -> str:
    return f"paas:{settings.PAAS_INSTANCE}:build:{build_id}:output"


def end_stream(build_id: int, *, succeeded: bool, message: str) -> None:
    key = _key(build_id)
    redis_client().xadd(key, {"end": "succeeded" if succeeded else "failed", "message": message})
    redis_client().expire(key, KEEP_SECONDS)


def discard(build_id: int) -> None:
    """Drop what an earlier install (a fresh database, the same Redis) left under this build id."""
    redis_client().delete(_key(build_id))


class BuildOutput:
    """Writer side: every line goes to the push's stream at once and to the build record at the
    end; build lines also go to the app's log stream."""

    def __init__(self, build_id: int, app_id: int) -> None:
        self.build_id = build_id
        self.key = _key(build_id)
        self.app_id = app_id
        self.redis = redis_client()
        self.lines: list[str] = []

    def say(self, text: str) -> None:
        self.show(text)
        logstream.say(self.app_id, "build", text)

    def show(self, text: str) -> None:
        """On the push (and the build record) only: the rollout logs its own lines as platform events."""
        for line in text.splitlines() or [""]:
            self.lines.append(line)
            self.redis.xadd(self.key, {"line": line}, maxlen=MAX_LINES, approximate=True)
            if len(self.lines) == 1:
                self.redis.expire(self.key, KEEP_SECONDS)  # even if this worker dies mid-build

    def ready(self) -> None:
        self.redis.xadd(self.key, {"ready": "1"})

    def end(self, *, succeeded: bool, message: str) -> None:
        end_stream(self.build_id, succeeded=succeeded, message=message)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def follow(build_id: int, *, idle: float = 2.0) -> Iterator[str | Ready | Ending | None]:
    """Yield lines (and READY) as they arrive, then the Ending; yields None after each `idle`
    seconds of silence so the caller can check that the build is still alive."""
    redis = redis_client()
    key = _key(build_id)
    last_id = "0-0"
    while True:
        batches = redis.xread({key: last_id}, block=int(idle * 1000), count=500)
        if not batches:
            yield None
            continue
        for entry_id, fields in batches[0][1]:
            last_id = entry_id
            fields = {k.decode(): v.decode(errors="replace") for k, v in fields.items()}
            if "end" in fields:
                yield Ending(succeeded=fields["end"] == "succeeded", message=fields.get("message", ""))
                return
            yield READY if "ready" in fields else fields["line"]


def lines_so_far(build_id: int) -> list[str]:
    """The build's output up to now, for a page that shows a running build (the stream keeps
    its last MAX_LINES lines)."""
    entries = redis_client().xrange(_key(build_id))
    return [fields[b"line"].decode(errors="replace") for _, fields in entries if b"line" in fields]
