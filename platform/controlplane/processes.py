"""Start, stop and wait for the platform's own processes: web server, workers, reconciler, router.

Each runs in its own session with a pid file under var/run and a log under var/log, so
`make up` is idempotent and `make down` stops exactly what it started. App containers are not
ours to stop here: they keep serving while the control plane restarts.
"""
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from rq.worker import Worker

from applications.reconciler import restore_routes
from controlplane import heartbeat
from paas.redis_client import redis_client
from router import nginx, routing
from runtime.backend import get_backend


class StartFailed(Exception):
    pass


@dataclass(frozen=True)
class Service:
    name: str
    command: list[str]
    ready: Callable[[], bool]


def _worker_name(index: int) -> str:
    return f"paas-{settings.PAAS_INSTANCE}-worker-{index}"


def _web_ready() -> bool:
    url = f"http://{settings.PAAS_WEB_HOST}:{settings.PAAS_WEB_PORT}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _worker_ready(name: str) -> Callable[[], bool]:
    def ready() -> bool:
        workers = Worker.all(connection=redis_client())
        return any(worker.name == name for worker in workers)

    return ready


def _beating(name: str) -> Callable[[], bool]:
    def ready() -> bool:
        pid = running_pid(name)
        return pid is not None and heartbeat.pid_of(name) == pid

    return ready


def services() -> list[Service]:
    python = sys.executable
    manage = str(Path(settings.ROOT_DIR) / "manage.py")
    web = Service(
        "web",
        [
            python, "-m", "uvicorn", "paas.asgi:application",
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
            f"worker-{i}",
            # Listed first, deploys (config changes, rollbacks) go before builds.
            [python, manage, "rqworker", settings.PAAS_DEPLOY_QUEUE, settings.PAAS_BUILD_QUEUE, "--name", _worker_name(i)],
            _worker_ready(_worker_name(i)),
        )
        for i in range(1, settings.PAAS_WORKERS + 1)
    ]
    reconciler = Service("reconciler", [python, manage, "reconcile"], _beating("reconciler"))
    shipper = Service("logs", [python, manage, "ship_logs"], _beating("logs"))
    sampler = Service("metrics", [python, manage, "sample_metrics"], _beating("metrics"))
    return [web, *workers, reconciler, shipper, sampler]


def _pid_file(name: str) -> Path:
    return Path(settings.PAAS_RUN_DIR) / f"{name}.pid"


def running_pid(name: str) -> int | None:
    try:
        pid = int(_pid_file(name).read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def _child_env() -> dict[str, str]:
    root = str(settings.ROOT_DIR)
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([root, str(Path(root) / "platform")]),
        "DJANGO_SETTINGS_MODULE": "paas.settings",
        "PYTHONUNBUFFERED": "1",
    }


def _spawn(service: Service) -> None:
    log_dir = Path(settings.PAAS_LOG_DIR)
    log_dir.mkdir(parents=True, exist_ok=True)
    Path(settings.PAAS_RUN_DIR).mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"{service.name}.log", "ab") as log:
        process = subprocess.Popen(
            service.command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=settings.ROOT_DIR,
            env=_child_env(),
            start_new_session=True,
        )
    _pid_file(service.name).write_text(str(process.pid))


def _wait(service: Service, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.ready():
            return
        if running_pid(service.name) is None:
            break
        time.sleep(0.2)
    log = Path(settings.PAAS_LOG_DIR) / f"{service.name}.log"
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:]) if log.exists() else ""
    raise StartFailed(f"{service.name} did not become ready (log: {log}):\n{tail}")


def start_all(say: Callable[[str], None], timeout: float = 60) -> None:
    get_backend().guard_host()  # before anything is routed: after a reboot the apps came back without it
    restore_routes()
    routing.start()
    say(f"router     listening on {settings.PAAS_ROUTER_HOST}:{settings.PAAS_ROUTER_PORT}")
    todo = services()
    for service in todo:
        if running_pid(service.name) is None:
            _spawn(service)
    for service in todo:
        _wait(service, timeout)
        say(f"{service.name:<10} running (pid {running_pid(service.name)})")


def status_all() -> dict[str, dict]:
    """Each platform process by name: its state and pid (the router's is nginx's master)."""
    statuses = {}
    for service in services():
        pid = running_pid(service.name)
        statuses[service.name] = {"state": "running" if pid else "stopped", "pid": pid}
    router_pid = nginx.master_pid()
    statuses["router"] = {"state": "running" if router_pid else "stopped", "pid": router_pid}
    return statuses


def stop_all(say: Callable[[str], None], timeout: float = 15) -> None:
    names = [service.name for service in services()]
    # Stop any worker beyond the configured count too (PAAS_WORKERS may have shrunk).
    names += [p.stem for p in Path(settings.PAAS_RUN_DIR).glob("worker-*.pid") if p.stem not in names]
    for name in names:
        pid = running_pid(name)
        if pid is not None:
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for name in names:
        while running_pid(name) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        pid = running_pid(name)
        if pid is not None:
            os.killpg(pid, signal.SIGKILL)
        _pid_file(name).unlink(missing_ok=True)
        say(f"{name:<10} stopped")
    routing.stop()
    say("router     stopped")
