"""The meter's arithmetic on fake readings (first readings, deltas, restarts, sleep, hours) and
its writes into the hourly buckets."""
from datetime import datetime, timezone

import pytest

from accounts.models import Team
from applications.models import App
from metering.meter import Meter
from metering.models import UsageBucket
from metering.usage import GB, hour_of
from runtime.processes import Process, ProcessStats

START = 1_764_000_000.0  # an hour's start: 2025-11-24T16:00:00Z
MEMORY_LIMIT = 512 * 2**20


class Clock:
    """Wall and monotonic time that tests move by hand (monotonic starts at 0)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def wall(self) -> float:
        return START + self.offset

    def monotonic(self) -> float:
        return self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def meter(clock) -> Meter:
    return Meter(clock=clock.wall, monotonic=clock.monotonic)


def process(cid: str, process_type: str = "worker", *, release: int = 1, created: float = START + 1) -> Process:
    return Process(id=cid, app="shop", release=release, process_type=process_type, index=1, address=None, created=created)


def reading(clock: Clock, cpu_seconds: float, memory: int = 128 * 2**20) -> ProcessStats:
    return ProcessStats(cpu_ns=round(cpu_seconds * 1e9), system_cpu_ns=0, online_cpus=2, memory=memory,
                        memory_limit=MEMORY_LIMIT, at=clock.monotonic())


def at(clock: Clock, seconds: float) -> None:
    clock.offset = seconds


def pending(meter: Meter, app_id: int = 1) -> dict[str, dict]:
    return {process_type: usage.as_dict() for (app, process_type, _), usage in meter.pending.items() if app == app_id}


def test_a_new_containers_first_reading_counts_its_cpu_and_time_since_it_started(meter, clock):
    worker = process("a", created=START + 1)
    at(clock, 5)
    meter.observe(1, START, [(worker, reading(clock, 3.5))])
    usage = pending(meter)["worker"]
    assert usage["container_seconds"] == pytest.approx(4)
    assert usage["cpu_seconds"] == pytest.approx(3.5)
    assert usage["memory_reserved_gb_seconds"] == pytest.approx(0.5 * 4)
    assert usage["memory_used_gb_seconds"] == pytest.approx(0.125 * 4)


def test_later_readings_add_the_deltas_of_the_cpu_counter_and_the_running_time(meter, clock):
    worker = process("a")
    at(clock, 5)
    meter.observe(1, START, [(worker, reading(clock, 3.5))])
    at(clock, 10)
    meter.observe(1, START + 5, [(worker, reading(clock, 8.5, memory=GB // 4))])
    usage = pending(meter)["worker"]
    assert usage["container_seconds"] == pytest.approx(4 + 5)
    assert usage["cpu_seconds"] == pytest.approx(8.5)  # the counter's last value: every CPU-second once
    assert usage["memory_used_gb_seconds"] == pytest.approx(0.125 * 4 + 0.25 * 5)


def test_a_container_running_before_the_meter_started_counts_from_its_second_reading(meter, clock):
    old = process("old", created=START - 3600)
    at(clock, 5)
    meter.observe(1, START, [(old, reading(clock, 1000))])  # an earlier sampler may have counted that
    assert pending(meter) == {}
    at(clock, 10)
    meter.observe(1, START + 5, [(old, reading(clock, 1002))])
    assert pending(meter)["worker"]["cpu_seconds"] == pytest.approx(2)
    assert pending(meter)["worker"]["container_seconds"] == pytest.approx(5)


def test_a_new_container_of_an_app_already_metered_counts_at_most_since_the_apps_previous_pass(meter, clock):
    at(clock, 5)
    meter.observe(1, START, [(process("old", created=START - 3600), reading(clock, 1000))])
    at(clock, 10)
    woken = process("woken", "web", created=START - 7200)  # an old container started again
    meter.observe(1, START + 5, [(woken, reading(clock, 0.25))])
    assert pending(meter)["web"]["container_seconds"] == pytest.approx(5)
    assert pending(meter)["web"]["cpu_seconds"] == pytest.approx(0.25)


def test_a_counter_that_went_down_is_a_restart_counted_from_zero(meter, clock):
    worker = process("a")
    at(clock, 5)
    meter.observe(1, START, [(worker, reading(clock, 4))])
    at(clock, 10)
    meter.observe(1, START + 5, [(worker, reading(clock, 1.5))])
    assert pending(meter)["worker"]["cpu_seconds"] == pytest.approx(4 + 1.5)


def test_stopped_time_costs_nothing_and_a_wake_counts_only_since_the_last_pass(meter, clock):
    web = process("a", "web")
    at(clock, 5)
    meter.observe(1, START, [(web, reading(clock, 2))])
    before = dict(pending(meter)["web"])
    for second in range(10, 600, 5):  # asleep: listed, not running
        at(clock, second)
        meter.observe(1, START + second - 5, [(web, None)])
    assert pending(meter)["web"] == before
    at(clock, 600)
    meter.observe(1, START + 595, [(web, reading(clock, 0.5))])  # woken: the same container, a new counter
    usage = pending(meter)["web"]
    assert usage["container_seconds"] == pytest.approx(before["container_seconds"] + 5)
    assert usage["cpu_seconds"] == pytest.approx(2 + 0.5)


def test_every_releases_processes_count_under_their_type_and_requests_go_to_web(meter, clock):
    at(clock, 5)
    readings = [(process("old", "web", release=1), reading(clock, 1)), (process("new", "web", release=2), reading(clock, 2)),
                (process("w", "worker", release=2), reading(clock, 3))]
    meter.observe(1, START, readings, requests=42)
    usage = pending(meter)
    assert usage["web"]["cpu_seconds"] == pytest.approx(3) and usage["web"]["requests"] == 42
    assert usage["web"]["container_seconds"] == pytest.approx(8)  # two containers, 4 s each
    assert usage["worker"]["cpu_seconds"] == pytest.approx(3) and usage["worker"]["requests"] == 0


def test_a_readings_use_goes_to_its_windows_hour():
    assert hour_of(START + 3599.9) == datetime.fromtimestamp(START, timezone.utc)
    assert hour_of(START + 3600) == datetime.fromtimestamp(START + 3600, timezone.utc)


@pytest.fixture
def app(db) -> App:
    return App.objects.create(name="shop", team=Team.objects.create(name="acme"))


def buckets(app: App) -> list[tuple]:
    return [(b.process_type, b.hour.timestamp(), round(b.cpu_seconds, 3), round(b.container_seconds, 3), b.requests)
            for b in UsageBucket.objects.filter(app=app).order_by("hour", "process_type")]


def test_passes_add_into_one_bucket_per_type_and_hour(meter, clock, app):
    worker = process("a")
    at(clock, 5)
    meter.observe(app.pk, START, [(worker, reading(clock, 2))], requests=3)
    meter.end_pass({"a"}, [app.pk])
    at(clock, 10)
    meter.observe(app.pk, START + 5, [(worker, reading(clock, 3))], requests=4)
    meter.end_pass({"a"}, [app.pk])
    assert buckets(app) == [("web", START, 0, 0, 7), ("worker", START, 3, 9, 0)]
    at(clock, 3605)
    meter.observe(app.pk, START + 3600, [(worker, reading(clock, 4))])
    meter.end_pass({"a"}, [app.pk])
    assert buckets(app)[-1] == ("worker", START + 3600, 1, 3595, 0)
    assert meter.pending == {}


def test_a_pass_of_a_deleted_app_is_dropped_and_forgotten_containers_start_again(meter, clock, app):
    at(clock, 5)
    meter.observe(app.pk, START, [(process("a"), reading(clock, 2))])
    meter.observe(app.pk + 1, START, [(process("b"), reading(clock, 2))])
    meter.end_pass({"a"}, [app.pk])
    assert UsageBucket.objects.count() == 1 and meter.pending == {}
    assert set(meter.seen) == {"a"} and set(meter.last_pass) == {app.pk}
