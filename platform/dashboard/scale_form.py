"""The scaling page's form of one process type: what a posted row asks formation_update for, and
the autoscale fields each row shows.

A web row carries an "Autoscale" checkbox behind a hidden field of the same name, so a posted
web row always says whether autoscaling is wanted (["off"] or ["off", "on"]); a worker row has
neither, since worker types stay manual (applications/autoscale_rule.py)."""
from dataclasses import dataclass

from django.conf import settings
from django.http import QueryDict

from applications.autoscale_rule import DEFAULT_CONCURRENCY, DEFAULT_IDLE_SECONDS, rule_of
from paas.errors import UserError

AUTOSCALED_TYPE = "web"


@dataclass(frozen=True)
class AutoscaleFields:
    """The values the row's autoscale inputs show: its rule, or a starting point for one."""
    on: bool
    min: int
    max: int
    concurrency: int
    idle_seconds: int
    limit: int  # PAAS_AUTOSCALE_MAX


def autoscale_fields(row) -> AutoscaleFields | None:
    """None for a type that cannot autoscale."""
    if row.process_type != AUTOSCALED_TYPE:
        return None
    limit = settings.PAAS_AUTOSCALE_MAX
    rule = rule_of(row)
    if rule is not None:
        return AutoscaleFields(True, rule.min, rule.max, rule.concurrency, rule.idle_seconds, limit)
    # Ticking the box keeps today's processes as the floor: sleeping is a choice (min 0), not a default.
    floor = min(max(row.quantity, 1), limit)
    return AutoscaleFields(False, floor, min(max(floor, 2), limit), DEFAULT_CONCURRENCY, DEFAULT_IDLE_SECONDS, limit)


def _whole(value: str | None, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError(f"{what} must be a whole number") from None


def _rule(post: QueryDict, process_type: str) -> dict:
    rule = {}
    for name, label in (("min", "minimum"), ("max", "maximum"), ("concurrency", "concurrency"),
                        ("idle_seconds", "idle seconds")):
        value = post.get(f"autoscale_{name}", "").strip()
        if value or name in ("min", "max"):  # the others have defaults
            rule[name] = _whole(value, f"the autoscale {label} of {process_type}")
    return rule


def scale_change(post: QueryDict) -> dict:
    """The formation_update item of a posted row: its quantity, or its autoscale rule (null: off)."""
    process_type = post.get("type", "")
    change: dict = {"type": process_type}
    autoscale = post.getlist("autoscale")
    if "on" in autoscale:
        change["autoscale"] = _rule(post, process_type)  # the quantity is the autoscaler's
    else:
        change["quantity"] = _whole(post.get("quantity"), f"the quantity of {process_type}")
        if autoscale:
            change["autoscale"] = None
    if post.get("memory_mb"):
        change["memory_mb"] = _whole(post["memory_mb"], f"the memory of {process_type}")
    return change


def scale_notice(change: dict, was_autoscaled: bool) -> str:
    process_type = change["type"]
    rule = change.get("autoscale")
    if rule:
        sleeps = " (sleeps when idle)" if rule["min"] == 0 else ""
        return f"Autoscaling {process_type} between {rule['min']} and {rule['max']} processes{sleeps}."
    if was_autoscaled:
        return f"Autoscaling of {process_type} is off: it keeps {change['quantity']}."
    return f"Scaled {process_type}."
