"""Each app's stable endpoint, kept in the kernel's NAT table: how releases switch with no nginx reload.

nginx sends an app's traffic to one fixed address per app (this host's address on the container
network, port PAAS_ROUTE_PORT_BASE + the app's id) and never learns which containers serve it.
DNAT rules in the nat table's OUTPUT chain send each new connection to that address on to one of
the app's live web containers. Pointing an app at new containers replaces its rules in a single
iptables-restore commit: new connections go to the new containers from that instant, connections
already open stay with the containers they were made to (conntrack), and nginx is not reloaded.
A reload would close clients' idle keep-alive connections, failing any request already on its way
over one of them.

Rules live in chains named after the instance, so platform instances on one host leave each
other's alone. Callers hold the router lock (router.routing); these functions do not lock.
"""
import functools
import hashlib
import re
import subprocess
from dataclasses import dataclass, field

from django.conf import settings

from router.errors import RouterError
from runtime.processes import BackendError
from runtime.scheduler import get_scheduler

Address = tuple[str, int]
MAX_PORT = 65535


def _tag() -> str:
    return hashlib.sha256(settings.PAAS_INSTANCE.encode()).hexdigest()[:8]


def root_chain() -> str:
    return f"PAAS-{_tag()}"


def app_chain(app_id: int) -> str:
    return f"PAAS-{_tag()}-{app_id}"


@functools.cache
def _host() -> str:
    try:
        return get_scheduler().host_address()
    except BackendError as error:
        raise RouterError(str(error)) from None


def endpoint(app_id: int) -> Address:
    """Where nginx sends the app's traffic; it never changes while the app exists."""
    port = settings.PAAS_ROUTE_PORT_BASE + app_id
    if port > MAX_PORT:
        raise RouterError(f"app id {app_id} is past the route ports (PAAS_ROUTE_PORT_BASE is {settings.PAAS_ROUTE_PORT_BASE})")
    return _host(), port


def _run(command: list[str], stdin: str | None = None) -> str:
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise RouterError(f"{command[0]} is not installed (Debian: apt-get install iptables)") from None
    if result.returncode != 0:
        raise RouterError(f"{' '.join(command[:3])} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout



def _restore(lines: list[str]) -> None:
    """Apply rule changes to the nat table as one atomic commit, leaving other rules alone."""
    _run(["iptables-restore", "--noflush", "--wait"], "\n".join(["*nat", *lines, "COMMIT", ""]))


@dataclass
class _NatTable:
    """What the nat table holds that concerns this instance (and which ports other instances use)."""

    chains: set[str] = field(default_factory=set)
    output_jumps: int = 0
    app_ports: dict[str, int] = field(default_factory=dict)  # app chain -> port jumped to it from the root
    jumps: dict[str, str] = field(default_factory=dict)  # app chain -> its jump rule in the root, as -S prints it
    destinations: dict[str, list[str]] = field(default_factory=dict)  # app chain -> its containers
    foreign_ports: dict[int, str] = field(default_factory=dict)  # port -> another instance's root chain

    def app_chains(self) -> list[str]:
        return sorted(c for c in self.chains if c.startswith(root_chain() + "-"))


_RULE = re.compile(r"^-A (?P<chain>\S+) (?P<spec>.*)$")
_ROOT = re.compile(r"^PAAS-[0-9a-f]{8}$")
_PORT = re.compile(r"--dport (\d+)")
_TARGET = re.compile(r"-j (\S+)$")
_DESTINATION = re.compile(r"--to-destination (\S+)")


def _read() -> _NatTable:
    table = _NatTable()
    root = root_chain()
    for line in _run(["iptables", "--wait", "-t", "nat", "-S"]).splitlines():
        if line.startswith("-N "):
            table.chains.add(line[3:].strip())
            continue
        rule = _RULE.match(line)
        if rule is None:
            continue
        chain, spec = rule["chain"], rule["spec"]
        target = _TARGET.search(spec)
        port = _PORT.search(spec)
        if chain == "OUTPUT" and spec == f"-j {root}":
            table.output_jumps += 1
        elif chain == root and target and port:
            table.app_ports[target[1]] = int(port[1])
            table.jumps[target[1]] = spec
        elif chain.startswith(root + "-") and (destination := _DESTINATION.search(spec)):
            table.destinations.setdefault(chain, []).append(destination[1])
        elif _ROOT.match(chain) and port:
            table.foreign_ports[int(port[1])] = chain
    return table


def _dnat_rules(chain: str, addresses: list[Address]) -> list[str]:
    """Spread new connections evenly: rule i of n takes 1/(n-i) of what reaches it."""
    rules = []
    for i, (ip, port) in enumerate(addresses):
        remaining = len(addresses) - i
        share = f"-m statistic --mode random --probability {1 / remaining:.11f} " if remaining > 1 else ""
        rules.append(f"-A {chain} -p tcp {share}-j DNAT --to-destination {ip}:{port}")
    return rules


def _jump(app_name: str, app_id: int) -> str:
    host, port = endpoint(app_id)
    comment = f'-m comment --comment "paas app {app_name}"'
    return f"-A {root_chain()} -d {host}/32 -p tcp --dport {port} {comment} -j {app_chain(app_id)}"


def _claim(table: _NatTable, app_id: int) -> None:
    port = endpoint(app_id)[1]
    if port in table.foreign_ports:
        raise RouterError(
            f"route port {port} is already used by another platform instance on this host "
            f"(chain {table.foreign_ports[port]}); give this one its own PAAS_ROUTE_PORT_BASE"
        )


def point(app_name: str, app_id: int, addresses: list[Address]) -> Address:
    """Send new connections to the app's endpoint to these containers (refused when there are none)."""
    table = _read()
    chain = app_chain(app_id)
    wanted = [f"{ip}:{port}" for ip, port in addresses]
    settled = (
        root_chain() in table.chains
        and table.output_jumps
        and table.app_ports.get(chain) == endpoint(app_id)[1]
        and table.destinations.get(chain, []) == wanted
    )
    if not settled:
        _claim(table, app_id)
        lines = [] if root_chain() in table.chains else [f":{root_chain()} - [0:0]"]
        lines += [f":{chain} - [0:0]", *_dnat_rules(chain, addresses)]  # ":" empties an existing chain
        if chain not in table.app_ports:
            lines.append(_jump(app_name, app_id))
        if not table.output_jumps:
            lines.append(f"-I OUTPUT 1 -j {root_chain()}")
        _restore(lines)
    return endpoint(app_id)


def replace_all(routes: dict[int, tuple[str, list[Address]]]) -> None:
    """Rewrite this instance's rules from scratch: app id -> (app name, its web containers)."""
    table = _read()
    for app_id in routes:
        _claim(table, app_id)
    wanted = {app_chain(app_id) for app_id in routes}
    stale = [c for c in table.app_chains() if c not in wanted]
    lines = [f":{root_chain()} - [0:0]", *(f":{c} - [0:0]" for c in stale)]
    for app_id, (app_name, addresses) in sorted(routes.items()):
        chain = app_chain(app_id)
        lines += [f":{chain} - [0:0]", *_dnat_rules(chain, addresses), _jump(app_name, app_id)]
    lines += [f"-X {c}" for c in stale]
    if not table.output_jumps:
        lines.append(f"-I OUTPUT 1 -j {root_chain()}")
    _restore(lines)


def remove(app_id: int) -> None:
    """Take one app's endpoint out (the app is being deleted)."""
    table = _read()
    chain = app_chain(app_id)
    lines = []
    if chain in table.jumps:
        lines.append(f"-D {root_chain()} {table.jumps[chain]}")
    if chain in table.chains:
        lines += [f":{chain} - [0:0]", f"-X {chain}"]
    if lines:
        _restore(lines)


def remove_all() -> None:
    """Take this instance's rules out of the kernel (the router is stopping)."""
    table = _read()
    if root_chain() not in table.chains:
        return
    chains = table.app_chains()
    lines = [f":{root_chain()} - [0:0]", *(f":{c} - [0:0]" for c in chains)]
    lines += [f"-D OUTPUT -j {root_chain()}"] * table.output_jumps
    lines += [*(f"-X {c}" for c in chains), f"-X {root_chain()}"]
    _restore(lines)

