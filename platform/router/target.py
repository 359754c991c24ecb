"""Where the router sends an app's new connections: the one thing applications/traffic.py
decides and the router carries out. The router keeps no state of its own about it."""
from dataclasses import dataclass
from enum import Enum

from django.conf import settings

Address = tuple[str, int]


class TargetKind(Enum):
    WEB = "web"  # the app's web processes (none: connections are refused)
    MAINTENANCE = "maintenance"  # the router's own 503 page
    ACTIVATOR = "activator"  # a sleeping app: the activator holds the request and wakes it


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    addresses: tuple[Address, ...] = ()

    @classmethod
    def web(cls, addresses) -> "Target":
        return cls(TargetKind.WEB, tuple(addresses))

    @classmethod
    def maintenance(cls) -> "Target":
        return cls(TargetKind.MAINTENANCE)

    @classmethod
    def activator(cls) -> "Target":
        return cls(TargetKind.ACTIVATOR)


def activator_address() -> Address:
    """Where the activator listens (scaling/activator.py): one per platform instance, on the
    loopback port after the instance's maintenance page. Apps' endpoints use the same range on
    the container network's address, not on loopback."""
    return ("127.0.0.1", settings.PAAS_ROUTE_PORT_BASE + 1)
