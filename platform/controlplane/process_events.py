"""Restarts made visible: supervisord's PROCESS_STATE events, read by its event listener
(`manage.py process_events`), become one line each in var/log/platform.log and in a short
Redis list for the dashboard, and restart counts in var/run that `platform_status` shows.

Only what an operator must see: a process that exited unexpectedly, came back, failed to
start or was given up on (FATAL). Redis being down costs the list its entries, never the
listener (supervisor would stop sending events to a listener that does not answer).
"""
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import redis
from django.conf import settings
from supervisor import childutils

RECENT_EVENTS = 50
REDIS_TIMEOUT = 0.5


def events_key() -> str:
    return f"paas:{settings.PAAS_INSTANCE}:platform-events"


def counts_path() -> Path:
    return Path(settings.PAAS_RUN_DIR) / "process-restarts.json"


def platform_log() -> Path:
    return Path(settings.PAAS_LOG_DIR) / "platform.log"


def restart_counts() -> dict[str, dict]:
    """{process: {"restarts": n, "last_exit": "terminated by SIGKILL", "last_exit_at": ISO time}}."""
    try:
        return json.loads(counts_path().read_text())
    except (OSError, ValueError):
        return {}


def recent_events(limit: int = 20) -> list[dict]:
    """The newest events first: {"at", "process", "message"}; raises redis.RedisError when down."""
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
    return [json.loads(item) for item in client.lrange(events_key(), 0, limit - 1)]


def exit_reason(supervisor_log: str, name: str) -> str:
    """How `name` last exited, as supervisord logged it ("terminated by SIGKILL", "exit status 1")."""
    found = re.findall(rf"exited: {re.escape(name)} \((.*?); (?:not )?expected\)", supervisor_log)
    return found[-1] if found else "exit status unknown"


@dataclass
class Recorder:
    """Turns events into lines and counts; `log_tail` reads supervisord's log, `push` stores a
    line for the dashboard."""

    log_tail: Callable[[], str]
    push: Callable[[dict], None]
    write_line: Callable[[str], None]
    counts: dict[str, dict] = field(default_factory=dict)
    exited_at: dict[str, float] = field(default_factory=dict)
    save_counts: Callable[[dict], None] = lambda counts: None

    def handle(self, event: str, payload: dict[str, str], now: float) -> str | None:
        name = payload.get("processname", "?")
        message = None
        if event in ("PROCESS_STATE_EXITED", "PROCESS_STATE_BACKOFF"):
            reason = exit_reason(self.log_tail(), name)
            self.exited_at.setdefault(name, now)
            record = self.counts.setdefault(name, {"restarts": 0})
            record.update(restarts=record["restarts"] + 1, last_exit=reason, last_exit_at=_iso(now))
            self.save_counts(self.counts)
            if event == "PROCESS_STATE_EXITED":
                how = "exited" if payload.get("expected") == "1" else "exited unexpectedly"
                message = f"{name} (pid {payload.get('pid', '?')}) {how} ({reason}); restarting"
            else:
                message = f"{name} exited as it started ({reason}); retrying, attempt {payload.get('tries', '?')}"
        elif event == "PROCESS_STATE_RUNNING" and name in self.exited_at:
            seconds = now - self.exited_at.pop(name)
            message = f"{name} restarted (pid {payload.get('pid', '?')}), {seconds:.1f}s after it exited"
        elif event == "PROCESS_STATE_FATAL":
            self.exited_at.pop(name, None)
            message = f"{name} kept exiting as it started: supervisor gave up on it (FATAL); `make up` starts it again"
        if message is not None:
            self.write_line(f"{_iso(now)} {message}")
            self.push({"at": _iso(now), "process": name, "message": message})
        return message


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")


def _append_line(line: str) -> None:
    with open(platform_log(), "a") as log:
        log.write(line + "\n")


def _push_to_redis(client: redis.Redis) -> Callable[[dict], None]:
    def push(entry: dict) -> None:
        try:
            client.pipeline().lpush(events_key(), json.dumps(entry)).ltrim(events_key(), 0, RECENT_EVENTS - 1).execute()
        except redis.RedisError as error:
            print(f"platform event not stored in Redis ({error}): {entry['message']}", file=sys.stderr, flush=True)
    return push


def _save_counts(counts: dict) -> None:
    tmp = counts_path().with_suffix(".tmp")
    tmp.write_text(json.dumps(counts))
    os.replace(tmp, counts_path())


def listen(log_tail: Callable[[], str]) -> None:
    """Supervisor's event listener protocol on stdin/stdout, until supervisord stops us."""
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
    recorder = Recorder(log_tail=log_tail, push=_push_to_redis(client), write_line=_append_line,
                        counts=restart_counts(), save_counts=_save_counts)
    while True:
        headers, body = childutils.listener.wait(sys.stdin, sys.stdout)
        try:
            recorder.handle(headers["eventname"], childutils.get_headers(body), time.time())
        except Exception as error:  # an event unrecorded is better than a listener that stops answering
            print(f"event {headers.get('eventname')} not recorded: {error!r}", file=sys.stderr, flush=True)
        childutils.listener.ok(sys.stdout)
