"""The autoscaler's arithmetic (scaling/decisions.py): when web is scaled up, down, or put to sleep."""
from applications.autoscale_rule import AutoscaleRule
from scaling.decisions import Load, decide

RULE = AutoscaleRule(min=0, max=4, concurrency=10, idle_seconds=60)


def load(recent: float = 0.0, settled: float = 0.0, idle: float = 0.0, since_change: float = 100.0,
         latest: float = 0.0) -> Load:
    return Load(recent=recent, latest=latest, settled=settled, idle=idle, up_window=3, down_window=30,
                since_change=since_change)


def test_more_requests_in_flight_than_the_processes_take_adds_what_they_need_up_to_max():
    decision = decide(RULE, 1, load(recent=34.0, settled=20.0))
    assert decision.quantity == 4
    assert decision.reason == "34.0 requests in flight for 1 containers > 10 each"
    assert decide(RULE, 2, load(recent=90.0, settled=90.0)).quantity == 4  # max holds
    assert decide(RULE, 4, load(recent=90.0, settled=90.0)) is None


def test_a_load_step_is_sized_by_its_latest_second_not_the_window_that_began_before_it():
    decision = decide(RULE, 1, load(recent=21.2, latest=38.0, settled=8.0))
    assert decision.quantity == 4
    assert decide(RULE, 1, load(recent=9.0, latest=38.0)) is None  # one busy second is not sustained load


def test_load_that_fits_fewer_processes_over_the_down_window_removes_the_surplus_down_to_one():
    decision = decide(RULE, 4, load(recent=5.0, settled=14.0))
    assert decision.quantity == 2
    assert "14.0 requests in flight over the last 30s fit 2 containers" in decision.reason
    assert decide(RULE, 4, load(recent=0.0, settled=0.0)).quantity == 1  # scale to zero is sleep's
    assert decide(AutoscaleRule(min=2, max=4), 4, load()).quantity == 2


def test_no_scale_down_until_a_whole_down_window_has_passed_since_the_last_change():
    """Else the seconds before a load step, averaged in, would undo the step's scale-up."""
    assert decide(RULE, 3, load(recent=14.0, settled=5.0, since_change=10)) is None
    assert decide(RULE, 3, load(recent=14.0, settled=5.0, since_change=30)).quantity == 1


def test_a_load_between_the_up_and_down_thresholds_changes_nothing():
    assert decide(RULE, 2, load(recent=19.0, settled=15.0)) is None
    assert decide(RULE, 1, load(recent=10.0, settled=10.0)) is None  # at concurrency, not above


def test_an_app_idle_for_its_window_sleeps_only_when_min_is_zero():
    decision = decide(RULE, 1, load(idle=61))
    assert decision.quantity == 0 and decision.reason == "no request for 61s (idle_seconds is 60)"
    assert decide(RULE, 1, load(idle=59)) is None
    assert decide(AutoscaleRule(min=1, max=4, idle_seconds=60), 1, load(idle=600)) is None
