"""Queueing work that needs no build (config changes, rollbacks, restarts) and waking the reconciler."""
import django_rq
from django.conf import settings
from django.db import transaction

from paas.redis_client import redis_client
from runtime.backend import get_backend


def enqueue_on_commit(release) -> None:
    release_id = release.pk
    transaction.on_commit(
        lambda: django_rq.get_queue(settings.PAAS_DEPLOY_QUEUE).enqueue(
            "applications.jobs.deploy_release",
            release_id,
            job_id=f"paas-{settings.PAAS_INSTANCE}-release-{release_id}",
            job_timeout=3600,
        )
    )


def enqueue_restart_on_commit(app, which: str | None) -> None:
    app_id = app.pk
    transaction.on_commit(
        lambda: django_rq.get_queue(settings.PAAS_DEPLOY_QUEUE).enqueue(
            "applications.jobs.restart_processes", app_id, which, job_timeout=3600
        )
    )


def image_available(image: str) -> bool:
    return bool(image) and get_backend().image_exists(image)


def _wake_key() -> str:
    return f"paas:{settings.PAAS_INSTANCE}:reconcile"


def wake_reconciler(app_name: str) -> None:
    """Ask the reconciler to look at this app now rather than at its next tick."""
    redis = redis_client()
    redis.rpush(_wake_key(), app_name)
    redis.expire(_wake_key(), 300)


def wait_for_wake(timeout: float) -> set[str]:
    """The apps someone asked to reconcile, waiting up to `timeout` seconds for the first."""
    redis = redis_client()
    first = redis.blpop([_wake_key()], timeout=max(timeout, 0.01))
    if first is None:
        return set()
    names = {first[1].decode()}
    while (more := redis.lpop(_wake_key())) is not None:
        names.add(more.decode())
    return names


