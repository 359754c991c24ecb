"""What a push says while its build waits for a build worker (builds/build_queue.py, the
QueueNews of builds/receive.py): the builds ahead and why, once per change or every few seconds."""
from builds import receive
from builds.build_queue import Ahead, Wait


def test_the_wait_names_the_builds_ahead_and_the_worker_count():
    wait = Wait(1, (Ahead("shop", 12, running=True, seconds=40.4), Ahead("blog", 13, running=False)))

    assert wait.text() == (
        "Waiting for a build worker: 2 builds ahead (shop build 12 running 40s, blog build 13 queued); "
        "this platform runs 1 build worker (PAAS_BUILD_WORKERS)"
    )


def test_a_build_ahead_that_is_rolling_out_or_just_starting_says_so():
    assert Ahead("shop", 3, running=True, releasing=True).text() == "shop build 3 releasing"
    assert Ahead("shop", 3, running=True).text() == "shop build 3 starting"


def test_a_long_queue_names_the_first_builds_and_counts_the_rest():
    ahead = tuple(Ahead(f"app{i}", i, running=False) for i in range(8))
    text = Wait(2, ahead).text()
    assert "8 builds ahead" in text and "app4 build 4 queued and 3 more" in text and "app5" not in text


def test_the_seconds_going_on_are_no_change_but_a_new_build_ahead_is():
    running = Wait(1, (Ahead("shop", 12, running=True, seconds=4),))
    assert running.key == Wait(1, (Ahead("shop", 12, running=True, seconds=9),)).key
    assert running.key != Wait(1, (Ahead("blog", 13, running=True, seconds=1),)).key
    assert running.key != Wait(1, (Ahead("shop", 12, running=True, releasing=True),)).key


def test_the_push_says_a_line_per_change_and_repeats_it_while_nothing_changes(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(receive.time, "monotonic", lambda: clock[0])
    first = Wait(1, (Ahead("shop", 12, running=True, seconds=1), Ahead("blog", 13, running=False)))
    second = Wait(1, (Ahead("blog", 13, running=True, seconds=0),))
    waits = iter([first, first, first, second, None, second])
    monkeypatch.setattr(receive, "build_wait", lambda build_id: next(waits))
    said = []
    news = receive.QueueNews(14, said.append)

    news.tell()  # at 100 s: the first news
    clock[0] = 102.0
    news.tell()  # the same, 2 s later: nothing new to say
    clock[0] = 100.0 + news.REPEAT_SECONDS
    news.tell()  # still the same, but the push must not go silent
    clock[0] += 1
    news.tell()  # shop's build ended: blog's runs now
    news.tell()  # our build was taken
    news.tell()  # never asked again once taken

    assert said == [f"-----> {first.text()}", f"-----> {first.text()}", f"-----> {second.text()}"]
    assert not news.waiting
