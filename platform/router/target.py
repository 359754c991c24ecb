"""Where the router sends an app's new connections: the one thing applications/traffic.py
decides and the router carries out. The router keeps no state of its own about it."""
from dataclasses import dataclass
from enum import Enum

Address = tuple[str, int]


class TargetKind(Enum):
    WEB = "web"  # the app's web processes (none: connections are refused)
    MAINTENANCE = "maintenance"  # the router's own 503 page


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
