import calendar

import pytest

from observability.log_cursor import ContainerPosition, RouterPosition, docker_timestamp, iso_of_ns

SECOND = calendar.timegm((2026, 11, 23, 10, 0, 0)) * 1_000_000_000


@pytest.mark.parametrize("text, nanos", [
    ("2026-11-23T10:00:00.123456789Z", 123456789),
    ("2026-11-23T10:00:00.12345678Z", 123456780),  # RFC3339Nano trims trailing zeros...
    ("2026-11-23T10:00:00.1Z", 100000000),
    ("2026-11-23T10:00:00.000000001Z", 1),
    ("2026-11-23T10:00:00Z", 0),  # ...down to no fraction at all
    ("2026-11-23T10:00:00.100000000Z", 100000000),  # RFC3339NanoFixed, as Docker 20.10 sends it
])
def test_docker_timestamps_become_exact_nanoseconds(text, nanos):
    assert docker_timestamp(text) == SECOND + nanos


def test_timestamps_of_different_seconds_do_not_share_the_cached_second():
    assert docker_timestamp("2026-11-23T10:00:01.5Z") == SECOND + 1_500_000_000
    assert docker_timestamp("2026-11-23T09:59:59.5Z") == SECOND - 500_000_000
    assert docker_timestamp("1970-01-01T00:00:00Z") == 0


@pytest.mark.parametrize("text", [
    "", "hello", "2026-11-23T10:00:00.Z", "2026-11-23T10:00:00.1234567890Z", "2026-11-23 10:00:00Z",
    "2026-11-23T10:00:00+00:00", "2026-11-23T10:00:00.12a4Z",
])
def test_anything_else_is_not_a_docker_timestamp(text):
    with pytest.raises(ValueError):
        docker_timestamp(text)


def test_line_timestamps_are_logstreams_iso_format_truncated_to_microseconds():
    assert iso_of_ns(SECOND + 123456789) == "2026-11-23T10:00:00.123456Z"
    assert iso_of_ns(SECOND + 1_000_000_999) == "2026-11-23T10:00:01.000000Z"


def test_a_stream_from_the_start_admits_everything_and_counts_lines_sharing_a_timestamp():
    position = ContainerPosition.decode(None)
    assert position.since() is None
    assert [position.admit(ts) for ts in (10, 20, 20, 20)] == [True] * 4
    assert position.encode() == "20:3"


def test_a_resumed_stream_skips_exactly_what_was_shipped_even_among_equal_timestamps():
    position = ContainerPosition.decode(f"{SECOND + 20}:2")
    # Docker is asked from a little earlier, so the stream repeats older lines too.
    assert position.since() < (SECOND + 20) / 1e9
    admitted = [position.admit(SECOND + ts) for ts in (5, 19, 20, 20, 20, 21)]
    assert admitted == [False, False, False, False, True, True]
    assert position.encode() == f"{SECOND + 21}:1"


def test_resuming_again_in_the_same_process_skips_what_this_process_shipped():
    position = ContainerPosition()
    for ts in (1, 2, 2):
        position.admit(ts)
    position.resume()  # the container restarted: its new stream starts from the old lines
    assert [position.admit(ts) for ts in (1, 2, 2, 2, 3)] == [False, False, False, True, True]
    assert position.encode() == "3:1"


def test_a_line_stamped_slightly_earlier_than_the_previous_one_is_shipped_and_keeps_the_position():
    # stdout and stderr are copied by separate goroutines: their entries may interleave unordered.
    position = ContainerPosition()
    assert [position.admit(ts) for ts in (100, 99, 100)] == [True, True, True]
    assert position.encode() == "100:2"


def test_router_positions_round_trip_and_reject_garbage():
    position = RouterPosition(inode=77, start=1024, end=4096, app_id=3)
    assert RouterPosition.decode(position.encode()) == position
    assert RouterPosition.decode(None) is None
    assert RouterPosition.decode("77:1024") is None
