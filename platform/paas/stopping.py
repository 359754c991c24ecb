"""How the long-running commands (reconcile, ship_logs, sample_metrics) learn to stop."""
import signal
import threading


def stop_on_signals() -> threading.Event:
    """An event that SIGTERM (`make down`) or SIGINT (Ctrl-C) sets; call from the main thread."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop
