"""The router's access log: parsing nginx's `paas` format (router.nginx_config.ACCESS_LOG_FORMAT) and
rendering a record as a Heroku-style router line."""
import re
from dataclasses import dataclass
from datetime import datetime

# Fields in the order ACCESS_LOG_FORMAT writes them. The upstream fields hold one value per
# upstream tried, joined by ", " (and " : " across internal redirects), so they may contain spaces;
# each stops at the next known key instead. nginx escapes `"` in $request_uri as \x22, so the
# quoted path ends at the first quote. `app=` is the id of the app whose server block took the
# request, "-" for none; a line of an older config has no `app=`. Both give app_id None.
_LINE = re.compile(
    r'(?P<time>\S+) (?:app=(?:(?P<app>\d+)|-) )?host=(?P<host>\S*) method=(?P<method>\S*) path="(?P<path>[^"]*)" '
    r"status=(?P<status>\d{3}) bytes=(?P<bytes>\d+) duration=(?P<duration>\d+(?:\.\d+)?) "
    r"upstream=(?P<upstream>.*?) connect=(?P<connect>.*?) upstream_status=(?P<upstream_status>.*?) "
    r"request_id=(?P<request_id>\S*)"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class AccessRecord:
    time: datetime  # timezone-aware, whole seconds ($time_iso8601)
    host: str
    method: str
    path: str
    status: int
    bytes: int
    duration: float  # seconds ($request_time)
    connect: float | None  # seconds to connect to the upstream that answered; None if none did
    upstream_status: str  # as nginx wrote it: "200", "-", "502, 200"
    request_id: str
    app_id: int | None = None  # the app whose server block took the request, if one did


def parse(line: str) -> AccessRecord | None:
    """The record of one access log line, or None for a line that is not one (never raises)."""
    match = _LINE.fullmatch(line.rstrip("\r\n"))
    if match is None:
        return None
    # One call for all fields: the router's lines come by the thousand a second.
    when, app, host, method, path, status, size, duration, _, connect, upstream_status, request_id = match.groups()
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    # The last upstream tried is the one whose answer the client got.
    connects = _NUMBER.findall(connect)
    return AccessRecord(
        time=moment,
        host=host,
        method=method,
        path=path,
        status=int(status),
        bytes=int(size),
        duration=float(duration),
        connect=float(connects[-1]) if connects else None,
        upstream_status=upstream_status,
        request_id=request_id,
        app_id=int(app) if app else None,
    )


def render(record: AccessRecord) -> str:
    """Heroku's router line: `at=info method=GET path="/" host=... status=200 bytes=12 service=3ms`."""
    at = "error" if record.status >= 500 else "info"
    text = (
        f'at={at} method={record.method} path="{record.path}" host={record.host} '
        f"request_id={record.request_id} status={record.status} bytes={record.bytes} "
        f"service={round(record.duration * 1000)}ms"
    )
    if record.connect is not None:
        text += f" connect={round(record.connect * 1000)}ms"
    return text
