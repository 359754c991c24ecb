"""The platform's rq workers by name and queue, and the registration a killed one leaves behind.

Two kinds, each on its own queue: build workers (`worker-N`, PAAS_BUILD_WORKERS) take builds
and the rollout that ends each; deploy workers (`deployer-N`, PAAS_DEPLOY_WORKERS) take the
rollouts with no build (config changes, rollbacks, registry pushes, restarts). They shared one
pool once, and two slow builds of other apps held every app's config change behind them.

A worker killed with -9 stays registered in Redis (under its fixed name) until rq's worker
TTL lapses, minutes later, and rq refuses to start another worker of that name meanwhile: the
restart supervisor makes would fail until then. A registration is stale when no live process
of this host runs the worker of that name.
"""
import socket
from pathlib import Path

from django.conf import settings
from rq.worker import Worker

from paas.redis_client import redis_client


BUILDS = "worker"
DEPLOYS = "deployer"


def worker_name(index: int, kind: str = BUILDS) -> str:
    return f"paas-{settings.PAAS_INSTANCE}-{kind}-{index}"


def worker_queue(kind: str) -> str:
    return settings.PAAS_DEPLOY_QUEUE if kind == DEPLOYS else settings.PAAS_BUILD_QUEUE


def worker_count(kind: str) -> int:
    return settings.PAAS_DEPLOY_WORKERS if kind == DEPLOYS else settings.PAAS_BUILD_WORKERS


def _runs(pid: int, name: str) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return name.encode() in command


def clear_stale(name: str) -> bool:
    """Remove `name`'s registration if its process is gone; whether there was one to remove."""
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + name, connection=redis_client())
    if worker is None or worker.hostname != socket.gethostname() or (worker.pid and _runs(worker.pid, name)):
        return False
    worker.register_death()
    return True
