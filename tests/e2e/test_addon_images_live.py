"""The add-on images `make base-images` builds (paas-addon/postgres, paas-addon/redis) run under
the platform's hardened profile on a fresh volume, answer a client on a user-defined network with
the password of their first start, refuse a wrong one, and keep the data and that password when a
new server container starts on the same volume with other values in its environment."""
import json
import time
import uuid

import docker
import pytest

from runtime.docker.containers import CAPABILITIES
from tests.support import ROOT, require

pytestmark = pytest.mark.e2e

LABELS = {"io.paas.instance": "tests-addonimg"}
# The profile app containers run with (runtime/docker/containers.py), which add-ons share.
HARDENED = {
    "cap_drop": ["ALL"],
    "cap_add": CAPABILITIES,
    "security_opt": ["no-new-privileges"],
    "init": True,
    "pids_limit": 512,
    "mem_limit": "256m",
}


@pytest.fixture(scope="module")
def addons(docker_engine) -> dict:
    listed = ROOT / "var" / "base-images.json"
    require("The add-on images", listed.exists(), "run make base-images")
    images = json.loads(listed.read_text()).get("addons") or {}
    require("The add-on images", {"postgres", "redis"} <= set(images), "run make base-images (it builds them)")
    return images


@pytest.fixture
def engine():
    """The engine, and a network and volume of this test, removed with their containers at the end."""
    client = docker.from_env()
    suffix = uuid.uuid4().hex[:8]
    network = client.networks.create(f"tests-addonimg-{suffix}", driver="bridge", labels=LABELS)
    volume = client.volumes.create(f"tests-addonimg-{suffix}", labels=LABELS)
    yield client, network.name, volume.name
    for container in client.containers.list(all=True, filters={"label": "io.paas.instance=tests-addonimg"}):
        container.remove(force=True)
    network.remove()
    volume.remove(force=True)
    client.close()


def server(client, image: str, network: str, volume: str, mount: str, environment: dict):
    return client.containers.run(
        # Named after the network, so the client reaches it by that name (Docker's DNS on it).
        image, detach=True, name=f"{network}-server", labels=LABELS, network=network, environment=environment,
        volumes={volume: {"bind": mount, "mode": "rw"}}, **HARDENED,
    )


def client_run(client, image: str, network: str, command: list[str], environment: dict | None = None) -> tuple[int, str]:
    """`command` in a second container of the image, on the same network: (exit status, output)."""
    container = client.containers.run(image, command, detach=True, labels=LABELS, network=network,
                                      environment=environment or {}, **HARDENED)
    try:
        status = container.wait(timeout=30)["StatusCode"]
        return status, container.logs().decode()
    finally:
        container.remove(force=True)


def wait_until(check, container, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container.reload()
        assert container.status in ("created", "running"), f"{what} exited: {container.logs().decode()}"
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"{what} not ready in {timeout} s: {container.logs().decode()}")


def test_postgres_keeps_its_data_and_first_password_on_a_new_container(addons, engine):
    client, network, volume = engine
    image, data = addons["postgres"], "/var/lib/postgresql/data"
    first = {"POSTGRES_USER": "app_1", "POSTGRES_PASSWORD": "s3cret-Pass_1", "POSTGRES_DB": "app_db",
             "POSTGRES_SHARED_BUFFERS_MB": "32"}
    psql = ["psql", "-h", f"{network}-server", "-U", "app_1", "-d", "app_db", "-v", "ON_ERROR_STOP=1", "-Atc"]

    def ready(container):
        # Over TCP: the entrypoint listens there only once the role and the database exist.
        return lambda: container.exec_run(["pg_isready", "-h", "127.0.0.1", "-p", "5432"]).exit_code == 0

    one = server(client, image, network, volume, data, first)
    wait_until(ready(one), one, "postgres")
    assert one.exec_run(["psql", "-U", "postgres", "-Atc", "SHOW shared_buffers"]).output.decode().strip() == "32MB"
    status, output = client_run(client, image, network, [*psql, "CREATE TABLE notes (text text); "
                                "INSERT INTO notes VALUES ('kept'); SELECT current_user"],
                                {"PGPASSWORD": first["POSTGRES_PASSWORD"]})
    assert (status, output.split()[-1]) == (0, "app_1"), output
    status, output = client_run(client, image, network, [*psql, "SELECT 1"], {"PGPASSWORD": "wrong"})
    assert status != 0 and 'password authentication failed for user "app_1"' in output, output
    # The superuser has no password: it connects through the socket only, inside the container.
    status, output = client_run(client, image, network, ["psql", "-h", f"{network}-server", "-U", "postgres", "-c", "SELECT 1"],
                                {"PGPASSWORD": ""})
    assert status != 0, output

    one.stop(timeout=20)
    assert one.wait(timeout=5)["StatusCode"] == 0, one.logs().decode()  # SIGINT: a fast, clean shutdown
    one.remove()
    changed = {**first, "POSTGRES_USER": "other", "POSTGRES_PASSWORD": "changed-Pass_2", "POSTGRES_DB": "other"}
    two = server(client, image, network, volume, data, changed)
    wait_until(ready(two), two, "postgres on the same volume")
    status, output = client_run(client, image, network, [*psql, "SELECT text FROM notes"],
                                {"PGPASSWORD": first["POSTGRES_PASSWORD"]})
    assert (status, output.strip()) == (0, "kept"), output
    status, output = client_run(client, image, network, [*psql, "SELECT 1"], {"PGPASSWORD": "changed-Pass_2"})
    assert status != 0, output
    roles = two.exec_run(["psql", "-U", "postgres", "-Atc", "SELECT rolname FROM pg_roles WHERE rolname = 'other'"])
    assert roles.output.decode().strip() == ""


def test_postgres_refuses_a_name_it_would_have_to_quote(addons, engine):
    client, network, volume = engine
    bad = {"POSTGRES_USER": 'app"; DROP', "POSTGRES_PASSWORD": "pw", "POSTGRES_DB": "app"}
    container = server(client, addons["postgres"], network, volume, "/var/lib/postgresql/data", bad)
    assert container.wait(timeout=30)["StatusCode"] != 0
    assert "POSTGRES_USER must be letters, digits and _ only" in container.logs().decode()


def test_redis_keeps_its_data_and_first_password_on_a_new_container(addons, engine):
    client, network, volume = engine
    image = addons["redis"]
    cli = ["redis-cli", "-h", f"{network}-server", "--no-auth-warning", "-a"]

    def ready(container, password):
        return lambda: container.exec_run(["redis-cli", "--no-auth-warning", "-a", password, "ping"]).output == b"PONG\n"

    one = server(client, image, network, volume, "/data", {"REDIS_PASSWORD": "first-Pass_1", "REDIS_MAXMEMORY_MB": "64"})
    wait_until(ready(one, "first-Pass_1"), one, "redis")
    assert client_run(client, image, network, [*cli, "first-Pass_1", "set", "note", "kept"]) == (0, "OK\n")
    status, output = client_run(client, image, network, [*cli, "wrong", "get", "note"])
    assert "WRONGPASS" in output, output
    maxmemory = one.exec_run(["redis-cli", "--no-auth-warning", "-a", "first-Pass_1", "config", "get", "maxmemory"])
    assert maxmemory.output.split()[-1] == str(64 * 1024 * 1024).encode()

    one.stop(timeout=20)
    one.remove()
    two = server(client, image, network, volume, "/data", {"REDIS_PASSWORD": "changed-Pass_2"})
    wait_until(ready(two, "first-Pass_1"), two, "redis on the same volume")
    assert client_run(client, image, network, [*cli, "first-Pass_1", "get", "note"]) == (0, "kept\n")
    status, output = client_run(client, image, network, [*cli, "changed-Pass_2", "get", "note"])
    assert "WRONGPASS" in output, output


def test_redis_without_a_password_says_so(addons, engine):
    client, network, volume = engine
    container = server(client, addons["redis"], network, volume, "/data", {})
    assert container.wait(timeout=30)["StatusCode"] != 0
    assert "REDIS_PASSWORD is not set" in container.logs().decode()
