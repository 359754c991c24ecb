import itertools
import threading
import time

from builds.output import BuildOutput, Ending, discard, follow
from paas import logstream


def test_a_follower_gets_history_then_live_lines_then_the_outcome(redis_server, settings):
    settings.PAAS_INSTANCE = f"it{time.monotonic_ns()}"
    out = BuildOutput(7, app_id=70)
    out.say("Step 1/2 : FROM base")

    def rest():
        time.sleep(0.2)
        out.say("Step 2/2 : COPY . /\nSuccessfully built abc")
        out.end(succeeded=True, message="Released v1")

    threading.Thread(target=rest).start()
    seen = [item for item in itertools.islice(follow(7, idle=0.1), 50) if item is not None]

    assert seen == [
        "Step 1/2 : FROM base",
        "Step 2/2 : COPY . /",
        "Successfully built abc",
        Ending(succeeded=True, message="Released v1"),
    ]
    assert out.text.splitlines() == seen[:3]


def test_build_lines_reach_the_apps_log_but_rollout_lines_only_the_push(redis_server, settings):
    settings.PAAS_INSTANCE = f"it{time.monotonic_ns()}"
    out = BuildOutput(9, app_id=90)
    out.say("Step 1/1 : FROM base")
    out.show("Starting web.1 of v2")  # the rollout logs this itself, as a platform event

    entries, _ = logstream.recent(90, 10)

    assert [(entry.tag, entry.line) for entry in entries] == [("build", "Step 1/1 : FROM base")]
    assert out.text.splitlines() == ["Step 1/1 : FROM base", "Starting web.1 of v2"]


def test_a_silent_build_yields_none_so_the_follower_can_check_on_it(redis_server, settings):
    settings.PAAS_INSTANCE = f"it{time.monotonic_ns()}"
    assert next(follow(8, idle=0.05)) is None


def test_a_new_build_never_sees_an_earlier_installs_output_under_its_id(redis_server, settings):
    settings.PAAS_INSTANCE = f"it{time.monotonic_ns()}"
    stale = BuildOutput(1, app_id=10)  # what a previous install with a fresh database left in Redis
    stale.say("old app's line")
    stale.end(succeeded=True, message="Released v9 of another app")

    discard(1)

    assert next(follow(1, idle=0.05)) is None  # nothing yet: the new build has not written
