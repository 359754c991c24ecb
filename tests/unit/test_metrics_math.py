from datetime import datetime, timedelta, timezone

import pytest

from observability.access_log import AccessRecord
from observability.metrics import cpu_percent, process_json, rollup
from observability.router_stats import (
    BOUNDS, BUCKETS, RouterWindow, counts_of, latency_bucket, percentile, status_class,
)
from runtime.processes import ProcessStats

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _record(seconds_after_epoch: float, status: int = 200, duration: float = 0.01) -> AccessRecord:
    return AccessRecord(
        time=EPOCH + timedelta(seconds=seconds_after_epoch), host="shop.localhost", method="GET", path="/",
        status=status, bytes=10, duration=duration, connect=0.001, upstream_status=str(status), request_id="r",
    )


def _histogram(durations: list[float]) -> list[int]:
    histogram = [0] * BUCKETS
    for duration in durations:
        histogram[latency_bucket(duration)] += 1
    return histogram


def _stats(cpu_ns: int, system_cpu_ns: int, cpus: int = 2) -> ProcessStats:
    return ProcessStats(cpu_ns=cpu_ns, system_cpu_ns=system_cpu_ns, online_cpus=cpus, memory=1, memory_limit=2, at=0.0)


def test_latency_buckets_span_half_a_millisecond_to_a_minute_with_an_overflow():
    assert latency_bucket(0) == 0 and latency_bucket(0.0005) == 0
    assert latency_bucket(0.00051) == 1
    assert BOUNDS[-1] >= 60 and latency_bucket(61) < BUCKETS - 1
    assert latency_bucket(3600) == BUCKETS - 1
    ratios = {round(BOUNDS[i + 1] / BOUNDS[i], 6) for i in range(len(BOUNDS) - 1)}
    assert ratios == {round(2 ** 0.25, 6)}  # log-spaced: the same relative error everywhere


def test_percentiles_of_no_requests_are_none():
    assert percentile([0] * BUCKETS, 0.5) is None
    assert RouterWindow(seconds=5).latency_ms() == {"p50": None, "p95": None, "p99": None}


@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
def test_percentiles_are_within_the_bucket_error_of_the_exact_value(q):
    durations = [ms / 1000 for ms in range(1, 1001)]  # 1 ms .. 1 s, evenly
    exact = durations[round(q * len(durations)) - 1]
    assert percentile(_histogram(durations), q) == pytest.approx(exact, rel=0.19)


def test_a_single_latency_lands_in_its_own_bucket():
    value = percentile(_histogram([0.120] * 10), 0.99)
    lower = BOUNDS[latency_bucket(0.120) - 1]
    assert lower < value <= BOUNDS[latency_bucket(0.120)]


def test_requests_slower_than_the_last_bucket_report_the_last_bound():
    assert percentile(_histogram([0.001] * 98 + [300, 300]), 0.99) == BOUNDS[-1]


def test_merged_windows_give_the_percentiles_of_all_their_requests():
    fast, slow = [0.002] * 90, [0.8] * 10
    merged = RouterWindow(seconds=10)
    for part in (fast, slow):
        merged.add({f"h{i}": n for i, n in enumerate(_histogram(part)) if n})
    assert merged.histogram == _histogram(fast + slow)
    assert merged.latency_ms()["p50"] < 3 and merged.latency_ms()["p99"] > 600


def test_status_classes_count_499_as_a_client_error_and_skip_informational():
    assert [status_class(s) for s in (200, 304, 404, 499, 502, 101)] == ["2xx", "3xx", "4xx", "4xx", "5xx", None]


def test_records_are_counted_in_epoch_aligned_buckets_by_their_own_time(settings):
    settings.PAAS_METRICS_INTERVAL = 5
    start = int(EPOCH.timestamp()) // 5  # EPOCH is a multiple of 5 s
    buckets = counts_of([_record(0), _record(4.9, status=500), _record(5, status=404, duration=0.3)])
    assert set(buckets) == {start, start + 1}
    assert buckets[start]["n"] == 2 and buckets[start]["2xx"] == 1 and buckets[start]["5xx"] == 1
    assert buckets[start][f"h{latency_bucket(0.01)}"] == 2
    assert dict(buckets[start + 1]) == {"n": 1, "4xx": 1, f"h{latency_bucket(0.3)}": 1}


def test_router_window_json_has_rps_over_its_length():
    window = RouterWindow(seconds=5)
    window.add({"n": 12, "2xx": 10, "5xx": 2, f"h{latency_bucket(0.004)}": 12, "unknown": 3})
    body = window.as_json()
    assert body["requests"] == 12 and body["rps"] == 2.4
    assert body["status"] == {"2xx": 10, "3xx": 0, "4xx": 0, "5xx": 2}
    assert 3 < body["latency_ms"]["p50"] <= 4.01


def test_cpu_percent_is_container_time_over_host_time_times_cpus():
    # Half a CPU second used while the 2-CPU host spent 2 CPU seconds (one wall second): 50 %.
    assert cpu_percent(_stats(1_000_000_000, 10_000_000_000), _stats(1_500_000_000, 12_000_000_000)) == 50.0


def test_cpu_percent_needs_a_previous_reading_from_the_same_run_of_the_process():
    assert cpu_percent(None, _stats(5, 5)) is None
    assert cpu_percent(_stats(9_000_000_000, 10), _stats(1_000, 20)) is None  # restarted: counters reset
    assert cpu_percent(_stats(1, 10), _stats(1, 10)) is None  # no host time passed


def test_a_process_without_a_reading_reports_only_its_restarts():
    assert process_json(None, None, 3) == {"cpu": None, "memory": None, "memory_limit": None, "restarts": 3}


def test_a_rollup_averages_processes_and_counts_the_whole_minute_of_requests():
    samples = [
        {"t": 5, "processes": {"web.1": {"cpu": None, "memory": 100, "memory_limit": 1000, "restarts": 0}}},
        {"t": 10, "processes": {"web.1": {"cpu": 30.0, "memory": 200, "memory_limit": 1000, "restarts": 1},
                                "web.2": {"cpu": 5.0, "memory": 50, "memory_limit": 1000, "restarts": 0}}},
        {"t": 15, "processes": {"web.1": {"cpu": 10.0, "memory": None, "memory_limit": None, "restarts": 1}}},
    ]
    router = RouterWindow(seconds=60)
    router.add({"n": 120, "2xx": 119, "5xx": 1, f"h{latency_bucket(0.01)}": 120})

    result = rollup(60, samples, router)

    assert result["t"] == 60
    assert result["processes"] == {
        "web.1": {"cpu": 20.0, "memory": 150, "memory_limit": 1000, "restarts": 1},
        "web.2": {"cpu": 5.0, "memory": 50, "memory_limit": 1000, "restarts": 0},
    }
    assert result["router"]["requests"] == 120 and result["router"]["rps"] == 2.0
    assert result["router"]["status"]["5xx"] == 1
