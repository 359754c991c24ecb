"""One Docker network per app: its processes, its release phase and its builds, and nobody else's.

Docker drops traffic between two bridge networks (its DOCKER-ISOLATION chains), so a container
of one app has no route to another app's containers. The router never needs one: it reaches
web processes on their published 127.0.0.1 ports. What Docker leaves open is the host itself,
which every bridge's gateway address reaches; the guard chain below refuses new connections
from the apps' bridges to the host (replies to the host's own connections, such as health
checks, still pass), so a container cannot reach the route endpoints or anything listening on
the host.

Subnets come from PAAS_NETWORK_POOL, one /24 per app, chosen here rather than by Docker:
Docker's default pools hold about thirty networks, a host's worth of apps would run out.
"""
import fcntl
import hashlib
import ipaddress
import socket
import struct
import subprocess
import threading

import docker
import docker.errors
from django.conf import settings

from runtime.docker.engine import explain
from runtime.processes import BackendError

LABEL = "io.paas"
SUBNET_PREFIX = 24
# Every platform bridge's interface starts with this, so one iptables rule covers them all, on
# every instance on the host; an interface name has at most 15 characters.
INTERFACE_PREFIX = "paas"
GUARD_CHAIN = "PAAS-GUARD"
CREATE_ATTEMPTS = 20
SIOCGIFADDR = 0x8915  # linux/sockios.h

_known: set[str] = set()
_lock = threading.Lock()


def network_name(app_id: int) -> str:
    return f"paas-{settings.PAAS_INSTANCE}-app-{app_id}"


def _interface(app_id: int) -> str:
    tag = hashlib.sha256(settings.PAAS_INSTANCE.encode()).hexdigest()[:5]
    return f"{INTERFACE_PREFIX}{tag}{app_id:x}"[:15]


def _used_subnets(client: docker.DockerClient) -> list[ipaddress.IPv4Network]:
    used = []
    for network in client.api.networks():
        for config in (network.get("IPAM") or {}).get("Config") or []:
            try:
                used.append(ipaddress.ip_network(config.get("Subnet", ""), strict=False))
            except ValueError:
                continue
    return used


def _free_subnets(client: docker.DockerClient):
    pool = ipaddress.ip_network(settings.PAAS_NETWORK_POOL)
    used = _used_subnets(client)
    for subnet in pool.subnets(new_prefix=SUBNET_PREFIX):
        if not any(subnet.overlaps(other) for other in used):
            yield subnet


def _exact(client: docker.DockerClient, name: str) -> list[dict]:
    # The engine's name filter matches any network whose name contains it: app-1 would find app-12.
    return [network for network in client.api.networks(names=[name]) if network["Name"] == name]


def ensure(client: docker.DockerClient, app_id: int) -> str:
    """The app's network, created (with the host guard in place) if it does not exist yet."""
    name = network_name(app_id)
    if name in _known:
        return name
    with _lock:
        if not _exact(client, name):
            ensure_guard()  # an existing network's guard was made with it, or by platform_up since
            _create(client, app_id, name)
        _known.add(name)
    return name


def _create(client: docker.DockerClient, app_id: int, name: str) -> None:
    interface = _interface(app_id)
    for attempt, subnet in enumerate(_free_subnets(client)):
        if attempt >= CREATE_ATTEMPTS:
            break
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(subnet), gateway=str(subnet[1]))])
        try:
            client.networks.create(
                name,
                driver="bridge",
                ipam=ipam,
                check_duplicate=True,
                labels={f"{LABEL}.instance": settings.PAAS_INSTANCE, f"{LABEL}.app-id": str(app_id)},
                options={"com.docker.network.bridge.name": interface, "com.docker.network.bridge.enable_icc": "true"},
            )
            return
        except docker.errors.APIError as error:
            explanation = str(error.explanation or error)
            if "already exists" in explanation:
                return  # another worker made it meanwhile
            if "overlaps" in explanation:
                continue  # another instance took this subnet meanwhile
            raise BackendError(f"the engine could not create the app's network {name}: {explanation}") from None
    raise BackendError(
        f"no free /{SUBNET_PREFIX} left in PAAS_NETWORK_POOL ({settings.PAAS_NETWORK_POOL}) for the app's network; "
        "give the platform a larger pool"
    )


def forget(app_id: int) -> None:
    """Make the next ensure() ask the engine again."""
    _known.discard(network_name(app_id))


def remove(client: docker.DockerClient, app_id: int) -> None:
    name = network_name(app_id)
    forget(app_id)
    for found in _exact(client, name):
        try:
            client.api.remove_network(found["Id"])
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as error:
            raise BackendError(f"the engine could not remove the app's network {name}: {error.explanation or error}") from None


def _iptables(*args: str, check: bool = True) -> bool:
    try:
        result = subprocess.run(["iptables", "--wait", *args], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise BackendError("iptables is not installed (Debian: apt-get install iptables)") from None
    if check and result.returncode != 0:
        raise BackendError(f"iptables {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result.returncode == 0


def ensure_guard() -> None:
    """The filter rules that keep the apps' containers off the host: added once, shared by every
    instance on the host, and left in place (apps' containers outlive `platform_down`). A reboot
    takes them away while the engine brings the containers back: `platform_up`, and the reconciler
    when it starts (under systemd, after a reboot, without `make up`), put them back."""
    if _iptables("-C", "INPUT", "-i", f"{INTERFACE_PREFIX}+", "-j", GUARD_CHAIN, check=False):
        return
    if not _iptables("-L", GUARD_CHAIN, "-n", check=False):
        _iptables("-N", GUARD_CHAIN)
        _iptables("-A", GUARD_CHAIN, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN")
        # REJECT rather than DROP: a refused connection fails at once instead of hanging a build step.
        _iptables("-A", GUARD_CHAIN, "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset")
        _iptables("-A", GUARD_CHAIN, "-j", "REJECT", "--reject-with", "icmp-port-unreachable")
    _iptables("-I", "INPUT", "-i", f"{INTERFACE_PREFIX}+", "-j", GUARD_CHAIN)


def _interface_address(name: str) -> str | None:
    """The IPv4 address of a local network interface, None if it has none (SIOCGIFADDR)."""
    request = struct.pack("256s", name.encode()[:15])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
        except OSError:
            return None
    return socket.inet_ntoa(answer[20:24])


def host_address(client: docker.DockerClient) -> str:
    """This host's address on the engine's bridge: connections made from it reach the containers."""
    try:
        bridge = client.networks.get("bridge").attrs
    except docker.errors.APIError as error:
        raise BackendError(f"cannot read the engine's bridge network: {explain(error)}") from None
    gateway = next((c["Gateway"] for c in bridge["IPAM"]["Config"] or [] if c.get("Gateway")), None)
    # Docker 20.10 (Debian 12's docker.io) may leave the gateway out of the default bridge's
    # IPAM config; the bridge interface itself always has it.
    interface = (bridge.get("Options") or {}).get("com.docker.network.bridge.name", "docker0")
    gateway = gateway or _interface_address(interface)
    if gateway is None:
        raise BackendError("the engine's bridge network has no gateway address (is dockerd running with --bridge=none?)")
    return gateway
