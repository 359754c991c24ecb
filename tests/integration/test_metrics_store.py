import time
import uuid
from datetime import datetime, timezone

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from applications.models import App
from observability import metrics_store, router_stats
from observability.access_log import AccessRecord
from observability.metrics_sampler import roll_up_minute
from observability.metrics_store import MetricsUnavailable, samples_since, store
from paas.redis_client import redis_client

NOW = 1_800_000_000.0  # a multiple of 60 s: minute boundaries are round


@pytest.fixture(autouse=True)
def metrics_settings(redis_server, settings):
    settings.PAAS_INSTANCE = f"it{uuid.uuid4().hex[:10]}"
    settings.PAAS_METRICS_INTERVAL = 5
    settings.PAAS_METRICS_RAW_SECONDS = 3600
    settings.PAAS_METRICS_ROLLUP_HOURS = 48
    yield settings
    connection = redis_client()
    for name in connection.scan_iter(metrics_store.key("*")):
        connection.delete(name)


def _sample(t: float, cpu: float = 1.0, requests: int = 0) -> dict:
    return {
        "t": t,
        "processes": {"web.1": {"cpu": cpu, "memory": 1000, "memory_limit": 4000, "restarts": 0}},
        "router": {"requests": requests, "rps": requests / 5, "status": {"2xx": requests, "3xx": 0, "4xx": 0, "5xx": 0},
                   "latency_ms": {"p50": None, "p95": None, "p99": None}},
    }


def _record(t: float, status: int = 200, duration: float = 0.01) -> AccessRecord:
    return AccessRecord(
        time=datetime.fromtimestamp(t, timezone.utc), host="shop.localhost", method="GET", path="/", status=status,
        bytes=1, duration=duration, connect=None, upstream_status=str(status), request_id="r",
    )


def test_raw_samples_come_back_in_order_after_since(metrics_settings):
    for t in (NOW - 10, NOW, NOW - 5):
        store(1, _sample(t))
    resolution, samples = samples_since(1, NOW - 10, now=NOW)
    assert resolution == 5
    assert [s["t"] for s in samples] == [NOW - 5, NOW]  # `since` itself is excluded
    assert samples[0] == _sample(NOW - 5)


def test_a_sample_stored_again_for_the_same_time_replaces_the_first():
    store(1, _sample(NOW, cpu=1.0))
    store(1, _sample(NOW, cpu=2.0))
    assert [s["processes"]["web.1"]["cpu"] for s in samples_since(1, NOW - 1, now=NOW)[1]] == [2.0]


def test_raw_samples_older_than_the_raw_window_are_trimmed_and_the_key_expires(metrics_settings):
    metrics_settings.PAAS_METRICS_RAW_SECONDS = 60
    store(1, _sample(NOW - 61))
    store(1, _sample(NOW - 60))
    store(1, _sample(NOW))
    assert [s["t"] for s in metrics_store.raw_between(1, 0, NOW)] == [NOW - 60, NOW]
    assert 0 < redis_client().ttl(metrics_store.raw_key(1)) <= 60 + 60


def test_apps_never_see_each_others_samples():
    store(1, _sample(NOW))
    assert samples_since(2, NOW - 60, now=NOW)[1] == []


def test_an_answer_is_capped_to_the_newest_samples():
    for i in range(10):
        store(1, _sample(NOW + 5 * i))
    _, samples = samples_since(1, NOW - 1, now=NOW, limit=3)
    assert [s["t"] for s in samples] == [NOW + 35, NOW + 40, NOW + 45]


def test_router_counts_land_in_their_buckets_and_windows_merge_them():
    router_stats.record(7, [_record(NOW - 6), _record(NOW - 5, 503, 0.2), _record(NOW - 1, 404), _record(NOW, 200)])
    last = router_stats.collect(7, NOW - 5, NOW)
    assert last.requests == 2 and last.status == {"2xx": 0, "3xx": 0, "4xx": 1, "5xx": 1}
    both = router_stats.collect(7, NOW - 10, NOW)
    assert both.requests == 3 and both.status["2xx"] == 1
    assert both.as_json()["rps"] == 0.3
    assert router_stats.collect(7, NOW, NOW + 5).requests == 1
    assert router_stats.collect(8, NOW - 10, NOW).requests == 0  # another app


def test_router_percentiles_come_from_the_merged_histogram():
    fast = [_record(NOW - 30 + i % 25, duration=0.002) for i in range(95)]
    slow = [_record(NOW - 10, duration=1.5) for _ in range(5)]
    router_stats.record(7, fast[:50])
    router_stats.record(7, fast[50:] + slow)  # a second batch adds to the same buckets
    latency = router_stats.collect(7, NOW - 60, NOW).latency_ms()
    assert 1.6 < latency["p50"] <= 2.1
    assert latency["p99"] == pytest.approx(1500, rel=0.19)  # the bucket error


def test_router_buckets_expire_after_a_few_minutes():
    router_stats.record(7, [_record(NOW)])
    connection = redis_client()
    keys = connection.keys(metrics_store.key("router", 7, "*"))
    assert len(keys) == 1 and 60 < connection.ttl(keys[0]) <= router_stats.BUCKET_TTL


def test_a_minute_rolls_up_into_one_sample_served_for_older_windows():
    for t in range(int(NOW) - 55, int(NOW) + 1, 5):
        store(3, _sample(float(t), cpu=10.0 if t % 10 else 20.0))
    store(3, _sample(NOW + 5, cpu=99.0))  # the next minute's: not in this rollup
    router_stats.record(3, [_record(NOW - 30, duration=0.05) for _ in range(90)] + [_record(NOW - 1, 500)])

    rollup = roll_up_minute(3, NOW)

    assert rollup["t"] == NOW
    assert rollup["processes"]["web.1"] == {"cpu": 15.0, "memory": 1000, "memory_limit": 4000, "restarts": 0}
    assert rollup["router"]["requests"] == 91 and rollup["router"]["rps"] == round(91 / 60, 3)
    assert rollup["router"]["status"]["5xx"] == 1
    resolution, samples = samples_since(3, NOW - 7200, now=NOW + 10)
    assert resolution == 60 and samples == [rollup]
    assert roll_up_minute(3, NOW - 600) is None  # nothing sampled then: no rollup


def test_rollups_older_than_the_rollup_hours_are_trimmed(metrics_settings):
    metrics_settings.PAAS_METRICS_ROLLUP_HOURS = 1
    for t in (NOW - 3660, NOW - 3600, NOW):
        metrics_store.store_rollup(3, _sample(t))
    assert [s["t"] for s in samples_since(3, 0, now=NOW)[1]] == [NOW - 3600, NOW]


def test_redis_being_down_is_reported_as_metrics_unavailable():
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    with pytest.raises(MetricsUnavailable, match="redis-server"):
        store(1, _sample(NOW), redis=down)
    with pytest.raises(MetricsUnavailable):
        router_stats.record(1, [_record(NOW)], redis=down)
    with pytest.raises(MetricsUnavailable):
        samples_since(1, NOW, redis=down)


# --- GET /api/apps/{app}/metrics -----------------------------------------------------------


@pytest.fixture
def shop(members) -> App:
    return App.objects.create(name="shop", team=members.team)


def test_a_viewer_reads_the_last_fifteen_minutes_by_default(client, members, shop):
    now = time.time()
    for t in (now - 16 * 60, now - 60, now - 5):
        store(shop.pk, _sample(t))
    response = client.get("/api/apps/shop/metrics", **members.auth("viewer"))
    assert response.status_code == 200
    body = response.json()
    assert body["app"] == "shop" and body["resolution"] == 5
    assert [s["t"] for s in body["samples"]] == [now - 60, now - 5]


@pytest.mark.parametrize("since", ["{t}", "{iso}", "{iso_z}"])
def test_since_takes_unix_seconds_or_iso_8601(client, members, shop, since):
    now = time.time()
    for t in (now - 120, now - 30):
        store(shop.pk, _sample(t))
    moment = datetime.fromtimestamp(now - 60, timezone.utc)
    value = since.format(t=now - 60, iso=moment.isoformat(), iso_z=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    response = client.get("/api/apps/shop/metrics", {"since": value}, **members.auth("viewer"))
    assert response.status_code == 200
    assert [s["t"] for s in response.json()["samples"]] == [now - 30]


def test_an_old_since_is_answered_with_rollups(client, members, shop):
    metrics_store.store_rollup(shop.pk, _sample(time.time() - 3 * 3600))
    response = client.get("/api/apps/shop/metrics", {"since": time.time() - 6 * 3600}, **members.auth("viewer"))
    assert response.json()["resolution"] == 60 and len(response.json()["samples"]) == 1


@pytest.mark.parametrize("since", ["yesterday", "", "nan", "inf", "2026-13-01T00:00:00"])
def test_a_bad_since_is_a_400_that_says_what_to_send(client, members, shop, since):
    response = client.get("/api/apps/shop/metrics", {"since": since}, **members.auth("viewer"))
    assert response.status_code == 400
    assert "ISO 8601" in response.json()["error"]


def test_metrics_are_hidden_from_outsiders_and_anonymous_callers(client, members, shop):
    assert client.get("/api/apps/shop/metrics", **members.auth("outsider")).status_code == 404
    assert client.get("/api/apps/nope/metrics", **members.auth("viewer")).status_code == 404
    assert client.get("/api/apps/shop/metrics").status_code == 401
    assert client.post("/api/apps/shop/metrics", **members.auth("admin")).status_code == 405
