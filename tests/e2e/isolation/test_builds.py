"""Issue 14, findings 1, 3 and 4: a build starts only from images it may use, fetches nothing
through the engine, and its steps reach neither the host nor another tenant's containers.
Team B is the attacker; team A's app must keep serving throughout."""
import re

import docker
import pytest

from tests.e2e.isolation.tenants import Listener, tenant
from tests.support import BASE_IMAGE, PackageIndex, nat_rules, static_site

pytestmark = pytest.mark.e2e

REFUSED = "is not one this build may use"


@pytest.fixture(scope="module")
def victim(platform, tmp_path_factory):
    """Team A's live app and the image it runs."""
    a = tenant(platform, "victim")
    app = a.new_app()
    push = a.push(app, tmp_path_factory.mktemp("victim"), static_site("team a's secret site\n"))
    assert push.returncode == 0, push.output
    image = a.api("GET", f"/api/apps/{app}/releases")[1][0]["image"]
    return a, app, image


@pytest.fixture
def attacker(platform):
    return tenant(platform, "attacker")


def push_dockerfile(attacker, tmp_path, dockerfile: str):
    app = attacker.new_app()
    return attacker.push(app, tmp_path, {"Dockerfile": dockerfile, "index.html": "b\n"})


def test_a_build_from_another_apps_image_is_refused_with_the_same_words_as_an_absent_one(
    platform, victim, attacker, tmp_path
):
    _, app, image = victim
    image_id = docker.from_env().images.get(image).id.removeprefix("sha256:")

    by_tag = push_dockerfile(attacker, tmp_path / "tag", f"FROM {image}\nRUN cat /www/index.html\n")
    by_id_prefix = push_dockerfile(attacker, tmp_path / "id", f"FROM {image_id[:12]}\n")
    copied = push_dockerfile(attacker, tmp_path / "copy", f"FROM {BASE_IMAGE}\nCOPY --from={image} /www /www\n")
    made_up = "paas-made-up/nothing:build-1"
    absent = push_dockerfile(attacker, tmp_path / "absent", f"FROM {made_up}\n")

    for push in (by_tag, by_id_prefix, copied, absent):
        assert push.returncode != 0
        assert REFUSED in push.output, push.output
        assert "secret site" not in push.output
    # The refusal says the same of an image that exists and one that does not.
    assert absent.output.split(REFUSED)[1].splitlines()[0] == by_tag.output.split(REFUSED)[1].splitlines()[0]
    assert platform.get(app) == (200, "team a's secret site\n")


def test_a_build_may_start_from_the_base_images_and_from_its_own_apps_earlier_build(attacker, tmp_path):
    app = attacker.new_app()
    first = attacker.push(app, tmp_path, static_site("first\n"))
    assert first.returncode == 0, first.output
    own_image = attacker.api("GET", f"/api/apps/{app}/releases")[1][0]["image"]

    second = attacker.push(app, tmp_path, {
        "Dockerfile": f"FROM {own_image}\nRUN echo second > /www/index.html\n",
    })

    assert second.returncode == 0, second.output
    assert attacker.platform.get(app) == (200, "second\n")


def test_a_variable_in_from_is_checked_after_substitution(victim, attacker, tmp_path):
    _, _, image = victim
    push = push_dockerfile(attacker, tmp_path, f"ARG BASE={BASE_IMAGE}\nFROM $BASE\nCMD exec httpd -f -p $PORT -h /tmp\n")
    assert push.returncode == 0, push.output  # the default is a base image
    push = push_dockerfile(attacker, tmp_path / "other", f"ARG BASE={image}\nFROM ${{BASE}}\n")
    assert push.returncode != 0 and REFUSED in push.output


def test_add_of_a_url_and_a_pull_from_the_hosts_loopback_are_refused_before_the_engine_fetches_anything(
    platform, attacker, tmp_path
):
    web_port = platform.web_url.rsplit(":", 1)[1]
    with Listener() as listener:
        add_web = push_dockerfile(attacker, tmp_path / "web", f"FROM {BASE_IMAGE}\nADD http://127.0.0.1:{web_port}/healthz /x\n")
        add_listener = push_dockerfile(
            attacker, tmp_path / "listener", f"FROM {BASE_IMAGE}\nADD [\"http://127.0.0.1:{listener.port}/\", \"/x\"]\n"
        )
        onbuild = push_dockerfile(
            attacker, tmp_path / "onbuild", f"FROM {BASE_IMAGE}\nONBUILD ADD http://127.0.0.1:{listener.port}/ /x\n"
        )
        pull = push_dockerfile(attacker, tmp_path / "pull", f"FROM 127.0.0.1:{listener.port}/anything:1\n")
        variable = push_dockerfile(
            attacker, tmp_path / "var", f"FROM {BASE_IMAGE}\nENV U=http://127.0.0.1:{listener.port}/\nADD $U /x\n"
        )

    for push in (add_web, add_listener, onbuild):
        assert push.returncode != 0 and "is not allowed: the engine would fetch it" in push.output, push.output
    assert pull.returncode != 0 and REFUSED in pull.output, pull.output
    assert variable.returncode != 0 and "ADD cannot take a variable as its source" in variable.output
    assert listener.connections == 0


def test_build_steps_reach_neither_the_host_nor_another_apps_container_but_do_reach_an_index_outside(
    platform, victim, attacker, tmp_path
):
    _, app, _ = victim
    engine = docker.from_env()
    victim_container = engine.containers.get(platform.containers(app, process_type="web")[0])
    victim_ip = next(n["IPAddress"] for n in victim_container.attrs["NetworkSettings"]["Networks"].values())
    # The victim's stable endpoint, where nginx sends its traffic (router/endpoints.py).
    rules = nat_rules()
    endpoint = re.search(rf'-d (\S+)/32 -p tcp (?:-m tcp )?--dport (\d+) .*"paas app {app}"', rules)
    assert endpoint, rules
    route_endpoint = f"{endpoint.group(1)}:{endpoint.group(2)}"

    def probe(name: str, url: str) -> str:
        # busybox's wget crashes with -T: timeout(1) bounds a connection that is dropped, not refused.
        return f"RUN (timeout 5 wget -q -O- {url} && echo REACHED-{name}) || echo BLOCKED-{name}\n"

    with Listener("0.0.0.0") as host_service, PackageIndex(platform.instance) as index:
        gateway_probe = "RUN gw=$(ip route | awk '/default/ {print $3}'); " + \
            f"(timeout 5 wget -q -O- http://$gw:{host_service.port}/ && echo REACHED-gateway) || echo BLOCKED-gateway\n"
        dockerfile = (
            f"FROM {BASE_IMAGE}\n"
            + probe("victim", f"http://{victim_ip}:5000/")
            + probe("endpoint", f"http://{route_endpoint}/")
            + gateway_probe
            + probe("index", f"{index.url}greeting/")
            + "CMD exec httpd -f -p $PORT -h /tmp\n"
        )
        push = push_dockerfile(attacker, tmp_path, dockerfile)

    assert push.returncode == 0, push.output
    said = {line.removeprefix("remote:").strip() for line in push.output.splitlines()}
    for blocked in ("victim", "endpoint", "gateway"):
        assert f"BLOCKED-{blocked}" in said and f"REACHED-{blocked}" not in said, push.output
    assert "REACHED-index" in said, push.output  # the steps do have a network: to the outside
    assert host_service.connections == 0
    assert platform.get(app) == (200, "team a's secret site\n")
