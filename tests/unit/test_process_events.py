"""supervisord's process events become one platform log line each, with how the process exited,
and restart counts."""
import socket

import redis

from controlplane.process_events import Recorder, _push_to_redis, exit_reason

SUPERVISOR_LOG = """2026-12-02 04:48:24,269 WARN exited: router (terminated by SIGKILL; not expected)
2026-12-02 04:48:30,050 INFO spawned: 'router' with pid 31364
2026-12-02 04:49:01,858 WARN exited: web (exit status 3; not expected)
"""


def _recorder():
    lines, pushed = [], []
    return Recorder(log_tail=lambda: SUPERVISOR_LOG, push=pushed.append, write_line=lines.append), lines, pushed


def test_the_exit_reason_is_the_last_one_supervisord_logged_for_that_process():
    assert exit_reason(SUPERVISOR_LOG, "router") == "terminated by SIGKILL"
    assert exit_reason(SUPERVISOR_LOG, "web") == "exit status 3"
    assert exit_reason(SUPERVISOR_LOG, "worker-1") == "exit status unknown"


def test_an_unexpected_exit_and_the_restart_make_a_line_each_and_count_once():
    recorder, lines, pushed = _recorder()
    recorder.handle("PROCESS_STATE_EXITED", {"processname": "router", "expected": "0", "pid": "7"}, 100.0)
    recorder.handle("PROCESS_STATE_STARTING", {"processname": "router"}, 101.0)
    recorder.handle("PROCESS_STATE_RUNNING", {"processname": "router", "pid": "8"}, 102.5)
    assert [line.split(" ", 1)[1] for line in lines] == [
        "router (pid 7) exited unexpectedly (terminated by SIGKILL); restarting",
        "router restarted (pid 8), 2.5s after it exited",
    ]
    assert [entry["process"] for entry in pushed] == ["router", "router"]
    assert recorder.counts["router"]["restarts"] == 1
    assert recorder.counts["router"]["last_exit"] == "terminated by SIGKILL"


def test_failed_starts_then_fatal_are_each_reported_and_a_normal_start_is_not():
    recorder, lines, _ = _recorder()
    recorder.handle("PROCESS_STATE_RUNNING", {"processname": "web", "pid": "5"}, 1.0)  # make up's start
    for tries in ("1", "2"):
        recorder.handle("PROCESS_STATE_BACKOFF", {"processname": "web", "tries": tries}, 2.0)
    recorder.handle("PROCESS_STATE_FATAL", {"processname": "web"}, 9.0)
    assert [line.split(" ", 1)[1] for line in lines] == [
        "web exited as it started (exit status 3); retrying, attempt 1",
        "web exited as it started (exit status 3); retrying, attempt 2",
        "web kept exiting as it started: supervisor gave up on it (FATAL); `make up` starts it again",
    ]
    assert recorder.counts["web"]["restarts"] == 2


def test_redis_being_down_costs_the_dashboard_its_entry_and_never_the_listener(capsys):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    client = redis.Redis(port=port, socket_connect_timeout=0.5, socket_timeout=0.5)
    _push_to_redis(client)({"at": "t", "process": "logs", "message": "logs restarted"})
    assert "not stored in Redis" in capsys.readouterr().err
