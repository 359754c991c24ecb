import threading
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model

from accounts.models import Role, Team
from accounts.services import team_add_member, token_create


class Members:
    """Users with tokens, each in `team` with a role (or in no team at all)."""

    def __init__(self) -> None:
        self.team = Team.objects.create(name="acme")
        self.tokens: dict[str, str] = {}
        for role in Role:
            self.add(role.value, role)
        self.add("outsider", None)

    def add(self, username: str, role: Role | None, team: Team | None = None):
        user = get_user_model().objects.create(username=username)
        if role is not None:
            team_add_member(team=team or self.team, user=user, role=role)
        self.tokens[username] = token_create(user=user)
        return user

    def auth(self, username: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.tokens[username]}"}


@pytest.fixture
def members(db) -> Members:
    return Members()


@pytest.fixture
def isolated(redis_server, settings):
    """Keys and channel groups of this test alone."""
    settings.PAAS_INSTANCE = f"ws{time.monotonic_ns()}"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": django_settings.REDIS_URL, "socket_timeout": 15}],
                "prefix": f"paas:{settings.PAAS_INSTANCE}:channels:",
            },
        }
    }


@pytest.fixture
def log_app(members, isolated):
    """The members' team's app, with an empty log stream of this test's own."""
    from applications.models import App
    from paas import logstream

    app = App.objects.create(name="shop", team=members.team)
    logstream.discard(app.pk)
    return app


@pytest.fixture
def running_relay(isolated):
    """The relay (the shipper's thread that publishes new log lines), running for the test."""
    from observability import relay

    stop = threading.Event()
    thread = threading.Thread(target=relay.run_forever, args=(stop,), daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=5)


@pytest.fixture
def fake(monkeypatch):
    """The in-memory fake scheduler, as this process's scheduler (tests/fake_scheduler.py)."""
    from tests.fake_scheduler import fake_scheduler_installed

    return fake_scheduler_installed(monkeypatch)


@pytest.fixture
def routes(monkeypatch):
    """What the traffic decision asks the router, recorded: no test reaches the real router."""
    from tests.fake_scheduler import routes_recorded

    return routes_recorded(monkeypatch)
