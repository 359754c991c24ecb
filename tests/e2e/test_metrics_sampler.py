import asyncio
import threading
import time
from datetime import datetime, timezone

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts.models import Team
from applications.models import App, Release, ReleaseStatus
from observability import metrics_sampler, metrics_store, publisher, router_stats
from observability.access_log import AccessRecord
from observability.metrics import cpu_percent
from observability.metrics_sampler import Sampler, window_end
from observability.metrics_store import samples_since
from paas.redis_client import redis_client
from runtime.processes import ProcessSpec
from tests.support import BASE_IMAGE

BUSY = ["sh", "-c", "while :; do :; done"]
IDLE = ["sleep", "600"]
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def forget_metrics(instance):
    yield
    connection = redis_client()
    for name in connection.scan_iter(metrics_store.key("*")):
        connection.delete(name)


def _spec(app: str, process_type: str = "worker", *, release: int = 1, command=BUSY) -> ProcessSpec:
    return ProcessSpec(
        app=app, release=release, process_type=process_type, index=1, image=BASE_IMAGE, command=command, memory_mb=64
    )


def _record(t: float, status: int, duration: float) -> AccessRecord:
    return AccessRecord(
        time=datetime.fromtimestamp(t, timezone.utc), host="shop.localhost", method="GET", path="/", status=status,
        bytes=1, duration=duration, connect=0.0005, upstream_status=str(status), request_id="r",
    )


def test_stats_give_memory_and_the_cpu_of_a_busy_loop(backend):
    process = backend.start(_spec("busy"))
    first = backend.stats(process)
    time.sleep(1)
    second = backend.stats(process)

    assert second.memory > 0 and second.memory_limit == 64 * MB
    assert second.online_cpus >= 1 and second.at > first.at
    assert cpu_percent(first, second) > 10  # one CPU's worth of spinning: about 100


def test_stats_of_a_stopped_or_removed_process_are_none(backend):
    process = backend.start(_spec("gone", command=IDLE))
    assert backend.stats(process) is not None
    backend.client.containers.get(process.id).stop(timeout=1)  # exited, still on the engine
    assert backend.stats(process) is None
    backend.remove(process)
    assert backend.stats(process) is None


@pytest.mark.django_db
def test_a_sample_has_the_live_releases_processes_and_the_routers_counts(backend, instance, redis_server, settings):
    settings.PAAS_METRICS_INTERVAL = 5
    app = App.objects.create(name=f"m{instance}", team=Team.objects.create(name=f"team-{instance}"))
    Release.objects.create(app=app, version=1, image=BASE_IMAGE, description="old", status=ReleaseStatus.RETIRED)
    Release.objects.create(app=app, version=2, image=BASE_IMAGE, description="new", status=ReleaseStatus.LIVE)
    backend.start(_spec(app.name, "web", release=1, command=IDLE))  # draining: not in the samples
    backend.start(_spec(app.name, "web", release=2, command=IDLE))
    backend.start(_spec(app.name, "worker", release=2))
    sampler = Sampler(backend)
    end = window_end(time.time())
    # The next window: 100 requests, 90 fast, 8 slow, 2 failing.
    records = [_record(end + 1, 200, 0.004) for _ in range(90)]
    records += [_record(end + 3, 200, 0.250) for _ in range(8)] + [_record(end + 4.9, 502, 0.030)] * 2
    router_stats.record(app.pk, records)
    router_stats.record(app.pk, [_record(end + 5, 200, 9.0)])  # the window after: not counted
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(publisher.metrics_group(app.pk), channel)

    sampler.sample_all(end)
    time.sleep(1)
    sampler.sample_all(end + 5)

    first, second = samples_since(app.pk, end - 1)[1]
    assert first["t"] == end and second["t"] == end + 5
    assert set(second["processes"]) == {"web.1", "worker.1"}
    worker, web = second["processes"]["worker.1"], second["processes"]["web.1"]
    assert first["processes"]["worker.1"]["cpu"] is None  # one reading is not a rate yet
    assert worker["cpu"] > 10 and web["cpu"] < worker["cpu"]
    assert worker["memory"] > 0 and worker["memory_limit"] == 64 * MB and worker["restarts"] == 0
    assert first["router"]["requests"] == 0 and first["router"]["latency_ms"]["p50"] is None
    router = second["router"]
    assert router["requests"] == 100 and router["rps"] == 20.0
    assert router["status"] == {"2xx": 98, "3xx": 0, "4xx": 0, "5xx": 2}
    assert router["latency_ms"]["p50"] == pytest.approx(4, rel=0.19)
    assert router["latency_ms"]["p95"] == pytest.approx(250, rel=0.19)
    assert router["latency_ms"]["p99"] == pytest.approx(250, rel=0.19)

    async def published() -> list[dict]:
        messages = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(2)]
        return [message["sample"] for message in messages]

    assert async_to_sync(published)() == [first, second]


def test_the_sampler_beats_and_samples_each_aligned_window_after_it_ends_until_stopped(backend, settings, monkeypatch):
    settings.PAAS_METRICS_INTERVAL = 0.2
    monkeypatch.setattr(metrics_sampler, "ROUTER_LAG", 0.05)
    calls: list[tuple[str, float, float]] = []

    class Recording(Sampler):
        def sample_all(self, end: float, should_stop=None) -> None:
            calls.append(("sample", end, time.time()))

    stop = threading.Event()
    loop = threading.Thread(target=Recording(backend).run_forever, args=(stop, lambda: calls.append(("beat", 0, 0))))
    loop.start()
    time.sleep(1.1)
    stop.set()
    loop.join(timeout=1)

    assert not loop.is_alive()
    samples = [(end, at) for what, end, at in calls if what == "sample"]
    assert 3 <= len(samples) <= 6
    assert all(abs(end / 0.2 - round(end / 0.2)) < 1e-4 and at >= end + 0.05 for end, at in samples)
    assert [round(b - a, 4) for (a, _), (b, _) in zip(samples, samples[1:])] == [0.2] * (len(samples) - 1)
    assert [what for what, *_ in calls[:2]] == ["beat", "sample"]  # the first beat comes before any wait
