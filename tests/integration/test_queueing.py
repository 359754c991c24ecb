import logging

import django_rq
import pytest
from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError

from paas import queueing


@pytest.fixture
def queue(redis_server):
    queue = django_rq.get_queue(settings.PAAS_DEPLOY_QUEUE)
    queue.empty()
    yield queue
    queue.empty()


def _refuse(*args, **kwargs):
    raise RedisConnectionError("Connection refused")


def test_a_job_is_queued_only_once_the_change_that_asks_for_it_commits(db, queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queueing.enqueue_on_commit(queue.name, "builds.jobs.run_build", 7, "push-1", job_id=f"{queue.name}-7", job_timeout=60)
        assert queue.get_jobs() == []
    [job] = queue.get_jobs()
    assert (job.id, job.func_name, job.args, job.timeout) == (f"{queue.name}-7", "builds.jobs.run_build", (7, "push-1"), 60)


def test_a_job_redis_refuses_fails_the_caller_unless_someone_else_queues_it_later(
    db, queue, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(queueing, "enqueue", _refuse)
    with pytest.raises(RedisConnectionError), django_capture_on_commit_callbacks(execute=True):
        queueing.enqueue_on_commit(queue.name, "registry.jobs.deploy_pushed_image", 3, job_timeout=60)
    with caplog.at_level(logging.WARNING, logger="paas.queueing"), django_capture_on_commit_callbacks(execute=True):
        queueing.enqueue_on_commit(queue.name, "applications.jobs.roll_out_release", 5, job_timeout=60,
                                   redis_error_left_to="the reconciler")
    assert "could not queue applications.jobs.roll_out_release(5,) (Connection refused); the reconciler will" in caplog.text
