"""The dashboard's platform page: staff see each platform process and the recent events the
supervisor's event listener stored; anyone else is told no such page exists."""
import json

import pytest
from django.contrib.auth import get_user_model

from controlplane import process_events
from paas.redis_client import redis_client


@pytest.fixture
def events_in_redis():
    key = process_events.events_key()
    entry = {"at": "2026-01-01T00:00:00+00:00", "process": "worker-1",
             "message": "worker-1 (pid 42) exited unexpectedly (terminated by SIGKILL); restarting"}
    redis_client().lpush(key, json.dumps(entry))
    yield entry
    redis_client().delete(key)


def test_staff_see_every_platform_process_and_the_recent_restarts(db, client, events_in_redis):
    client.force_login(get_user_model().objects.create(username="ops", is_staff=True))
    page = client.get("/platform/").content.decode()
    for name in ("web", "worker-1", "reconciler", "logs", "metrics", "autoscaler", "activator", "certificates", "router"):
        assert f"<td>{name}</td>" in page
    assert events_in_redis["message"] in page
    assert 'href="/platform/"' in client.get("/tokens/").content.decode()  # the link in the header


def test_a_user_who_is_not_staff_gets_no_such_page_and_no_link(db, client):
    client.force_login(get_user_model().objects.create(username="dev"))
    assert client.get("/platform/").status_code == 404
    assert 'href="/platform/"' not in client.get("/tokens/").content.decode()
