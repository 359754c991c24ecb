import json

from observability.viewer import Missed, Viewer


def lines(first: int, last: int) -> str:
    return json.dumps([{"n": n, "line": f"l{n}"} for n in range(first, last + 1)])


def test_the_next_batch_in_sequence_is_passed_on_as_it_is():
    viewer = Viewer(last_seen=10)
    batch = lines(11, 20)
    assert viewer.take(11, 20, batch) == (None, batch)
    assert viewer.last_seen == 20


def test_a_batch_already_in_the_history_is_not_sent_again():
    viewer = Viewer(last_seen=10)
    assert viewer.take(5, 10, lines(5, 10)) == (None, None)
    assert viewer.last_seen == 10


def test_a_batch_overlapping_the_history_sends_only_the_new_lines():
    viewer = Viewer(last_seen=10)
    missed, fresh = viewer.take(8, 12, lines(8, 12))
    assert missed is None
    assert [entry["n"] for entry in json.loads(fresh)] == [11, 12]


def test_a_gap_is_reported_with_the_exact_number_of_lines_dropped():
    viewer = Viewer(last_seen=10)
    missed, fresh = viewer.take(16, 20, lines(16, 20))
    assert missed == Missed(5)
    assert [entry["n"] for entry in json.loads(fresh)] == [16, 17, 18, 19, 20]
    assert viewer.last_seen == 20
