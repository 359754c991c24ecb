"""Queueing an rq job for a change, once the change is committed: a job queued inside the
transaction could start before the rows it reads exist, and one for a change rolled back must
never run."""
import logging

import django_rq
from django.db import transaction
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def enqueue(queue_name: str, function_path: str, *args, job_id: str | None = None, job_timeout: int) -> None:
    django_rq.get_queue(queue_name).enqueue(function_path, *args, job_id=job_id, job_timeout=job_timeout)


def enqueue_on_commit(queue_name: str, function_path: str, *args, job_id: str | None = None, job_timeout: int,
                      redis_error_left_to: str | None = None) -> None:
    """Queue `function_path(*args)` once the surrounding transaction commits (at once outside one).
    If Redis refuses it, the error reaches the caller (the request fails, and its client retries),
    unless `redis_error_left_to` names who queues it later ("the reconciler"): then it is logged."""
    transaction.on_commit(lambda: _send(queue_name, function_path, args, job_id, job_timeout, redis_error_left_to))


def _send(queue_name: str, function_path: str, args: tuple, job_id: str | None, job_timeout: int,
          redis_error_left_to: str | None) -> None:
    try:
        enqueue(queue_name, function_path, *args, job_id=job_id, job_timeout=job_timeout)
    except RedisError as error:
        if redis_error_left_to is None:
            raise
        log.warning("could not queue %s%r (%s); %s will", function_path, args, error, redis_error_left_to)
