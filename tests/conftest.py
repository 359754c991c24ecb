from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.support import (
    Platform, docker_available, ensure_base_image, nginx_available, redis_available, require, start_platform,
    stop_platform,
)


@pytest.fixture(scope="session")
def redis_server() -> None:
    hint = "scripts/prereqs starts it on 127.0.0.1:6379 with the password in var/redis/password (make test does)"
    require("Redis", redis_available(django_settings.REDIS_URL), hint)


@pytest.fixture(scope="session")
def docker_engine() -> None:
    require("The Docker engine", docker_available(), "start dockerd (make test does)")


@pytest.fixture(scope="session")
def base_image(docker_engine) -> str:
    return ensure_base_image()


@pytest.fixture(scope="session")
def platform(tmp_path_factory, redis_server, docker_engine, base_image) -> Platform:
    """One platform instance (web, workers, router) shared by all end-to-end tests."""
    require("nginx", nginx_available(), "apt-get install nginx-light (make test does)")
    instance = start_platform(Path(tmp_path_factory.mktemp("platform")))
    yield instance
    stop_platform(instance)
