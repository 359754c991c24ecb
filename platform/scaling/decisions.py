"""What the autoscaler decides for one autoscaled web type, from its load: pure arithmetic, so
that every rule of it is tested without a platform."""
import math
from dataclasses import dataclass

from applications.autoscale_rule import AutoscaleRule


@dataclass(frozen=True)
class Load:
    recent: float  # requests in flight, on average over the up window (seconds)
    latest: float  # the same over the last whole second: what a step has reached by now
    settled: float  # the same over the longer down window
    idle: float  # seconds since its last request ended (or since it was seen awake, if later)
    up_window: float
    down_window: float
    since_change: float = float("inf")  # seconds since the quantity last changed


@dataclass(frozen=True)
class Decision:
    quantity: int  # 0: sleep
    reason: str


def decide(rule: AutoscaleRule, quantity: int, load: Load) -> Decision | None:
    """A change of the web quantity (0: put it to sleep), or None to leave it as it is."""
    if rule.scales_to_zero and load.idle >= rule.idle_seconds:
        return Decision(0, f"no request for {load.idle:.0f}s (idle_seconds is {rule.idle_seconds})")
    if load.recent > rule.concurrency * quantity and quantity < rule.max:
        # Sized by the latest second too: a window that began before a load step averages it down.
        wanted = min(rule.max, math.ceil(max(load.recent, load.latest) / rule.concurrency))
        return Decision(wanted, f"{load.recent:.1f} requests in flight for {quantity} containers > {rule.concurrency} each")
    # A down window that began before the last change averages load of another quantity (the
    # seconds before a load step, say): it must lie wholly after the change.
    wanted = max(rule.floor, math.ceil(load.settled / rule.concurrency))
    if wanted < quantity and load.since_change >= load.down_window:
        return Decision(wanted, (f"{load.settled:.1f} requests in flight over the last {load.down_window:g}s "
                                 f"fit {wanted} containers at {rule.concurrency} each"))
    return None
