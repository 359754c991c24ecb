from datetime import datetime, timezone

import pytest

from observability.access_log import AccessRecord, parse, render

GOOD = (
    '2026-11-23T10:00:00+00:00 host=myapp.localhost method=GET path="/x?y" status=200 bytes=12 '
    "duration=0.003 upstream=172.17.0.1:40001 connect=0.001 upstream_status=200 request_id=abc"
)


def test_a_line_in_the_routers_format_becomes_a_record():
    assert parse(GOOD) == AccessRecord(
        time=datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc),
        host="myapp.localhost",
        method="GET",
        path="/x?y",
        status=200,
        bytes=12,
        duration=0.003,
        connect=0.001,
        upstream_status="200",
        request_id="abc",
    )


def test_a_request_no_upstream_answered_has_no_connect_time():
    line = (
        '2026-11-23T10:00:00+01:00 host=myapp.localhost method=POST path="/" status=502 bytes=150 '
        "duration=0.000 upstream=- connect=- upstream_status=- request_id=r1"
    )
    record = parse(line)
    assert record.connect is None and record.upstream_status == "-" and record.status == 502
    assert record.time == datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def test_a_retried_request_keeps_the_connect_time_of_the_upstream_that_answered():
    line = (
        '2026-11-23T10:00:00+00:00 host=a.localhost method=GET path="/a b\\x22c" status=200 bytes=1 '
        "duration=1.250 upstream=172.17.0.1:40001, 172.17.0.1:40002 connect=0.500, 0.002 "
        "upstream_status=502, 200 request_id=r2\n"
    )
    record = parse(line)
    assert record.connect == 0.002 and record.upstream_status == "502, 200"
    assert record.path == "/a b\\x22c" and record.duration == 1.25 and record.request_id == "r2"


@pytest.mark.parametrize("line", [
    "",
    "garbage",
    GOOD.replace("status=200", "status=abc"),
    GOOD.replace("2026-11-23T10:00:00+00:00", "yesterday"),
    GOOD.replace("+00:00", ""),  # no zone: the time would be ambiguous
    GOOD.replace('path="/x?y"', 'path="/x?y'),
    GOOD.replace(" request_id=abc", ""),
    GOOD + " extra=1 more",
    "\x00\xff" * 50,
])
def test_a_malformed_line_gives_none_and_never_raises(line):
    assert parse(line) is None


def test_render_reads_like_herokus_router_line():
    assert render(parse(GOOD)) == (
        'at=info method=GET path="/x?y" host=myapp.localhost request_id=abc status=200 bytes=12 '
        "service=3ms connect=1ms"
    )


def test_render_marks_server_errors_and_omits_a_missing_connect_time():
    line = GOOD.replace("status=200", "status=503").replace("connect=0.001", "connect=-")
    assert render(parse(line)).startswith("at=error ")
    assert "connect=" not in render(parse(line))


def test_a_line_names_the_app_whose_server_block_took_it_whatever_the_host():
    custom = GOOD.replace("+00:00 host=myapp.localhost", "+00:00 app=7 host=www.example.com")
    assert parse(custom).app_id == 7 and parse(custom).host == "www.example.com"
    # No app's server block took it; a line of a config from before the router named apps.
    assert parse(GOOD.replace("+00:00 host=", "+00:00 app=- host=")).app_id is None
    assert parse(GOOD).app_id is None
    assert parse(GOOD.replace("+00:00 host=", "+00:00 app=x host=")) is None
