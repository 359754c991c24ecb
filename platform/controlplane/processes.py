"""The platform's own processes: web server, workers, reconciler, log shipper, metrics sampler,
autoscaler, activator, certificate manager and router, each a program of the instance's supervisord (controlplane/supervision.py), which
restarts whichever exits; here what they run, how `make up` knows each is ready, and their state.

`make up` is idempotent and `make down` stops exactly what it started. App containers are not
ours to stop here: they keep serving while the control plane restarts.
"""
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from rq.worker import Worker

from applications.traffic import traffic_restore
from controlplane import process_events, supervision, unsupervised
from controlplane.supervisor_config import Program, is_setting
from controlplane.workers import BUILDS, DEPLOYS, worker_count, worker_name
from paas import heartbeat
from paas.redis_client import redis_client
from router import nginx, routing
from runtime.scheduler import get_scheduler

ROUTER = "router"
EVENT_LISTENER = "events"


class StartFailed(Exception):
    pass


@dataclass(frozen=True)
class Service:
    name: str
    command: list[str]
    ready: Callable[[], bool]


def _web_ready() -> bool:
    url = f"http://{settings.PAAS_WEB_HOST}:{settings.PAAS_WEB_PORT}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except urllib.error.HTTPError as error:
        return error.code == 503  # web is up; a dependency /healthz names is down (not web's to wait for)
    except (OSError, urllib.error.URLError):
        return False


def _worker_ready(name: str) -> Callable[[], bool]:
    def ready() -> bool:
        workers = Worker.all(connection=redis_client())
        return any(worker.name == name for worker in workers)

    return ready


def _beating(name: str) -> Callable[[], bool]:
    def ready() -> bool:
        pid = supervision.pid_of(name)
        return pid is not None and heartbeat.pid_of(name) == pid

    return ready


def _manage(*args: str) -> list[str]:
    return [sys.executable, str(Path(settings.ROOT_DIR) / "manage.py"), *args]


def services() -> list[Service]:
    web = Service(
        "web",
        [
            sys.executable, "-m", "uvicorn", "paas.asgi:application",
            "--host", settings.PAAS_WEB_HOST, "--port", str(settings.PAAS_WEB_PORT),
            "--no-access-log", "--timeout-graceful-shutdown", "5",
            # Compression is per connection: every log viewer's copy of a batch would be deflated
            # again, which cost more CPU than all the rest of the log pipeline together.
            "--ws-per-message-deflate", "false",
        ],
        _web_ready,
    )
    workers = [
        Service(
            f"{kind}-{i}",
            _manage("platform_worker", str(i), *(["--deploys"] if kind == DEPLOYS else [])),
            _worker_ready(worker_name(i, kind)),
        )
        for kind in (BUILDS, DEPLOYS)
        for i in range(1, worker_count(kind) + 1)
    ]
    reconciler = Service("reconciler", _manage("reconcile"), _beating("reconciler"))
    shipper = Service("logs", _manage("ship_logs"), _beating("logs"))
    sampler = Service("metrics", _manage("sample_metrics"), _beating("metrics"))
    autoscaler = Service("autoscaler", _manage("autoscale"), _beating("autoscaler"))
    activator = Service("activator", _manage("activate"), _beating("activator"))
    certificates = Service("certificates", _manage("manage_certificates"), _beating("certificates"))
    return [web, *workers, reconciler, shipper, sampler, autoscaler, activator, certificates]


def program_environment() -> dict[str, str]:
    """What every platform process runs with: this command's settings (PAAS_*, DJANGO_*,
    DATABASE_URL, ...), so the tests' and an operator's environment reach them."""
    root = str(settings.ROOT_DIR)
    return {
        **{name: value for name, value in os.environ.items() if is_setting(name)},
        "PYTHONPATH": os.pathsep.join([root, str(Path(root) / "platform")]),
        "DJANGO_SETTINGS_MODULE": "paas.settings",
        "PYTHONUNBUFFERED": "1",
    }


def programs() -> list[Program]:
    environment = program_environment()
    # Lower priorities start first and stop last: the listener sees every other start, and
    # the router outlives the control plane on the way down.
    return [
        Program(EVENT_LISTENER, _manage("process_events"), environment, priority=1, listener=True),
        Program(ROUTER, nginx.command(), {}, stop_signal="QUIT", priority=10),  # QUIT: finish requests
        *(Program(service.name, service.command, environment, priority=20 if service.name == "web" else 30)
          for service in services()),
    ]


def _log_tail(name: str) -> str:
    log = Path(settings.PAAS_LOG_DIR) / f"{name}.log"
    return "\n".join(log.read_text(errors="replace").splitlines()[-15:]) if log.exists() else ""


def _wait(service: Service, deadline: float) -> None:
    while time.monotonic() < deadline:
        if service.ready():
            return
        state = supervision.process_info().get(service.name, {}).get("statename")
        if state in ("FATAL", "STOPPED", None):
            break
        time.sleep(0.2)
    log = Path(settings.PAAS_LOG_DIR) / f"{service.name}.log"
    raise StartFailed(f"{service.name} did not become ready (log: {log}):\n{_log_tail(service.name)}")


def start_all(say: Callable[[str], None], timeout: float = 60) -> None:
    scheduler = get_scheduler()
    scheduler.guard_host()  # before anything is routed: after a reboot the apps came back without it
    traffic_restore(scheduler)
    routing.start()
    if not supervision.is_running():
        unsupervised.stop()
        process_events.counts_path().unlink(missing_ok=True)  # restarts are counted per supervisord
    supervision.apply(programs())
    deadline = time.monotonic() + timeout
    nginx.wait_serving(timeout)
    say(f"router     listening on {settings.PAAS_ROUTER_HOST}:{settings.PAAS_ROUTER_PORT}")
    for service in services():
        _wait(service, deadline)
        say(f"{service.name:<10} running (pid {supervision.pid_of(service.name)})")
    say(f"supervisor {supervision.config_path()} (restarts: {process_events.platform_log()})")


def status_all() -> dict[str, dict]:
    """Each platform process by name: its state, pid, seconds up, restarts and how it last
    exited (the router's pid is nginx's master)."""
    infos = supervision.process_info()
    counts = process_events.restart_counts() if infos else {}
    statuses = {}
    for name in [*(service.name for service in services()), ROUTER, EVENT_LISTENER]:
        info = infos.get(name)
        state = info["statename"].lower() if info else "stopped"
        running = state in ("running", "starting", "stopping")
        record = counts.get(name, {})
        statuses[name] = {
            "state": state,
            "pid": (info["pid"] or None) if info else None,
            "uptime": info["now"] - info["start"] if info and running else None,
            "restarts": record.get("restarts", 0),
            "last_exit": record.get("last_exit"),
            "last_exit_at": record.get("last_exit_at"),
        }
    return statuses


def stop_all(say: Callable[[str], None]) -> None:
    supervision.shutdown()
    unsupervised.stop()
    routing.stop()
    for name in [*(service.name for service in services()), ROUTER, "supervisor"]:
        say(f"{name:<10} stopped")
