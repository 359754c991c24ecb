"""Issue 14, finding 2: every app's containers sit on a network of the app's own. From inside one
tenant's container, another tenant's containers and the host are out of reach; the router still
serves both apps, and an app's release phase runs on its network too."""
import re
import subprocess

import docker
import pytest

from tests.e2e.isolation.tenants import Listener, tenant
from tests.support import BASE_IMAGE

pytestmark = pytest.mark.e2e


def site(text: str) -> dict[str, str]:
    return {
        "Dockerfile": f"FROM {BASE_IMAGE}\nCOPY index.html /www/\nCMD exec httpd -f -p $PORT -h /www\n",
        "index.html": text,
        # The release phase prints the address it ran with.
        "Procfile": "web: exec httpd -f -p $PORT -h /www\nrelease: echo release-address=$(ip -o -4 addr show eth0 | awk '{print $4}')\n",
    }


def web_container(platform, app: str):
    return docker.from_env().containers.get(platform.containers(app, process_type="web")[0])


def address(container) -> str:
    return next(n["IPAddress"] for n in container.attrs["NetworkSettings"]["Networks"].values())


def reaches(container, url: str) -> bool:
    # busybox's wget crashes with -T: timeout(1) bounds a connection that is dropped, not refused.
    code, _ = container.exec_run(["timeout", "5", "wget", "-q", "-O-", url])
    return code == 0


def test_one_tenants_container_reaches_neither_another_tenants_containers_nor_the_host(platform, tmp_path):
    a, b = tenant(platform, "neta"), tenant(platform, "netb")
    app_a, app_b = a.new_app(), b.new_app()
    push_a = a.push(app_a, tmp_path / "a", site("a\n"))
    assert b.push(app_b, tmp_path / "b", site("b\n")).returncode == 0
    assert push_a.returncode == 0, push_a.output
    container_a, container_b = web_container(platform, app_a), web_container(platform, app_b)

    with Listener("0.0.0.0") as host_service:
        (gateway,) = [n["Gateway"] for n in container_b.attrs["NetworkSettings"]["Networks"].values()]
        assert reaches(container_b, f"http://{address(container_b)}:5000/")  # its own app: wget works here
        assert not reaches(container_b, f"http://{address(container_a)}:5000/")
        assert not reaches(container_a, f"http://{address(container_b)}:5000/")
        assert not reaches(container_b, f"http://{gateway}:{host_service.port}/")
    assert host_service.connections == 0

    assert platform.get(app_a) == (200, "a\n") and platform.get(app_b) == (200, "b\n")
    networks_a = set(container_a.attrs["NetworkSettings"]["Networks"])
    assert networks_a == {f"paas-{platform.instance}-app-{app_id(a, app_a)}"}  # not Docker's default bridge
    release_address = re.search(r"release-address=(\d+\.\d+\.\d+)\.\d+/24", push_a.output)
    assert release_address and release_address.group(1) == address(container_a).rsplit(".", 1)[0], push_a.output


def app_id(owner, app: str) -> int:
    """The app's id, which names its network: from its image tag, paas-INSTANCE/app-ID:build-N."""
    image = owner.api("GET", f"/api/apps/{app}/releases")[1][0]["image"]
    return int(image.split("/app-")[1].split(":")[0])


def test_platform_up_puts_the_host_guard_back_after_the_firewall_lost_it(platform):
    # As after a reboot: the engine brings the apps' containers back, the guard is gone.
    jump = ["INPUT", "-i", "paas+", "-j", "PAAS-GUARD"]
    subprocess.run(["iptables", "-D", *jump], check=True)
    try:
        result = platform.manage("platform_up")
        assert result.returncode == 0, result.stderr
        assert subprocess.run(["iptables", "-C", *jump]).returncode == 0
    finally:  # never leave the host without it, whatever failed above
        if subprocess.run(["iptables", "-C", *jump]).returncode != 0:
            subprocess.run(["iptables", "-I", *jump])
