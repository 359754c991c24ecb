"""Apps' stable endpoints in the kernel's NAT table, against real iptables and containers."""
import socket
import urllib.request

import pytest

from router import endpoints
from router.errors import RouterError
from runtime.processes import ProcessSpec
from tests.support import free_route_port_base, nat_rules

pytestmark = pytest.mark.e2e


@pytest.fixture
def routes(backend, settings):
    """This test's instance with a route port range of its own; its rules are removed afterwards."""
    settings.PAAS_ROUTE_PORT_BASE = free_route_port_base()
    yield
    endpoints.remove_all()


def _serving(backend, base_image, text: str, settings) -> tuple[str, int]:
    """A web container answering `text`; where its $PORT is published on 127.0.0.1."""
    script = f"mkdir -p /w && echo {text} > /w/index.html && exec httpd -f -p {settings.PAAS_CONTAINER_PORT} -h /w"
    spec = ProcessSpec(app="probe", release=1, process_type="web", index=1, image=base_image, command=["sh", "-c", script])
    process = backend.start(spec)
    address = process.address
    for _ in range(100):
        try:
            socket.create_connection(address, timeout=0.5).close()
            return address
        except OSError:
            pass
    raise AssertionError(f"the {text} container did not start listening")


def _get(endpoint: tuple[str, int]) -> str:
    with urllib.request.urlopen(f"http://{endpoint[0]}:{endpoint[1]}/", timeout=5) as response:
        return response.read().decode().strip()


def test_switch_sends_every_new_connection_to_the_new_container_at_once(routes, backend, base_image, settings):
    blue = _serving(backend, base_image, "blue", settings)
    green = _serving(backend, base_image, "green", settings)

    endpoint = endpoints.point("shop", 7, [blue])
    assert endpoint == (backend.host_address(), settings.PAAS_ROUTE_PORT_BASE + 7)
    assert [_get(endpoint) for _ in range(5)] == ["blue"] * 5

    endpoints.point("shop", 7, [green])
    assert [_get(endpoint) for _ in range(20)] == ["green"] * 20
    assert '--comment "paas app shop"' in nat_rules()


def test_connection_opened_before_a_switch_stays_with_its_container(routes, backend, base_image, settings):
    blue = _serving(backend, base_image, "blue", settings)
    green = _serving(backend, base_image, "green", settings)
    endpoint = endpoints.point("shop", 3, [blue])

    with socket.create_connection(endpoint, timeout=5) as opened_before:
        endpoints.point("shop", 3, [green])
        opened_before.sendall(b"GET / HTTP/1.0\r\n\r\n")
        response = b""
        while chunk := opened_before.recv(4096):
            response += chunk
    assert response.rstrip().endswith(b"blue")
    assert _get(endpoint) == "green"


def test_traffic_is_spread_over_all_web_containers_and_refused_with_none(routes, backend, base_image, settings):
    blue = _serving(backend, base_image, "blue", settings)
    green = _serving(backend, base_image, "green", settings)

    endpoint = endpoints.point("shop", 5, [blue, green])
    seen = [_get(endpoint) for _ in range(60)]
    assert 10 < seen.count("blue") < 50 and seen.count("blue") + seen.count("green") == 60

    endpoints.point("shop", 5, [])
    with pytest.raises(OSError):
        socket.create_connection(endpoint, timeout=2).close()


def test_restore_drops_apps_that_are_gone_and_remove_all_leaves_no_rules(routes, backend, base_image, settings):
    blue = _serving(backend, base_image, "blue", settings)
    endpoints.replace_all({1: ("one", [blue]), 2: ("two", [blue])})
    assert endpoints.app_chain(1) in nat_rules() and endpoints.app_chain(2) in nat_rules()

    endpoints.replace_all({2: ("two", [blue])})
    assert f"-N {endpoints.app_chain(1)}" not in nat_rules()
    assert _get(endpoints.endpoint(2)) == "blue"

    endpoints.remove_all()
    assert endpoints.root_chain() not in nat_rules()


def test_a_port_claimed_by_another_instance_is_refused_with_a_clear_error(routes, backend, base_image, settings):
    blue = _serving(backend, base_image, "blue", settings)
    endpoints.point("shop", 9, [blue])
    mine = settings.PAAS_INSTANCE
    settings.PAAS_INSTANCE = f"{mine}-other"
    try:
        with pytest.raises(RouterError, match="PAAS_ROUTE_PORT_BASE"):
            endpoints.point("shop", 9, [blue])
    finally:
        settings.PAAS_INSTANCE = mine

