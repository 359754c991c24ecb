"""The desired formation: how many containers of each process type, and their limits.

Scaling changes these rows and wakes the reconciler; it makes no release, as on Heroku."""
from django.conf import settings
from django.db import transaction

from applications import job_queue
from applications.autoscale_rule import rule_of, rule_parsed
from applications.models import App, Formation, Release
from applications.procfile import RELEASE_PHASE
from applications.selectors import live_release
from activity.services import activity_record
from paas.logstream import platform_event
from paas.errors import UserError

MAX_QUANTITY = 50
MIN_MEMORY_MB = 16


def formation_ensure(app: App, release: Release) -> dict[str, Formation]:
    """Rows for the release's process types, creating new types as Heroku does: web at 1, others at 0."""
    rows = {row.process_type: row for row in app.formation.all()}
    for process_type in release.process_types:
        if process_type == RELEASE_PHASE or process_type in rows:
            continue
        row, _ = Formation.objects.get_or_create(
            app=app,
            process_type=process_type,
            defaults={
                "quantity": 1 if process_type == "web" else 0,
                "memory_mb": settings.PAAS_DEFAULT_MEMORY_MB,
                "cpus": settings.PAAS_DEFAULT_CPUS,
            },
        )
        rows[process_type] = row
    return {name: row for name, row in rows.items() if name in release.process_types and name != RELEASE_PHASE}


def formation_get(app: App) -> list[Formation]:
    release = live_release(app)
    return list(formation_ensure(app, release).values()) if release else []


def _number(item: dict, key: str, kind, low, high):
    value = item[key]
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise UserError(f'"{key}" of {item.get("type")} must be a number')
    if not low <= value <= high:
        raise UserError(f'"{key}" of {item.get("type")} must be between {low} and {high}')
    return kind(value)


def _quantity_text(row: Formation) -> str:
    rule = rule_of(row)
    if rule is None:
        return str(row.quantity)
    return f"{row.quantity} (autoscaled {rule.min}..{rule.max} at {rule.concurrency} requests each)"


def formation_update(*, app: App, user, updates: list) -> list[Formation]:
    """Apply [{"type": "web", "quantity": 2, "memory_mb": 256, "cpus": 0.5}, ...] (all but type
    optional), or {"type": "web", "autoscale": {"min": 0, "max": 4}} (null turns it off)."""
    release = live_release(app)
    if release is None:
        raise UserError(f"'{app.name}' has no live release to scale yet; deploy it first")
    rows = formation_ensure(app, release)
    if not isinstance(updates, list) or not updates:
        raise UserError('send a list of process types to change, e.g. [{"type": "web", "quantity": 2}]')
    notes: list[str] = []
    with transaction.atomic():
        for item in updates:
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                raise UserError('each item needs a "type", e.g. {"type": "web", "quantity": 2}')
            row = rows.get(item["type"])
            if row is None:
                known = ", ".join(sorted(rows)) or "none"
                raise UserError(f"'{app.name}' has no process type '{item['type']}' (its types: {known})")
            unknown = set(item) - {"type", "quantity", "memory_mb", "cpus", "autoscale"}
            if unknown:
                raise UserError(f"unknown formation fields: {', '.join(sorted(unknown))}")
            if "quantity" in item:
                row.quantity = _number(item, "quantity", int, 0, MAX_QUANTITY)
                if item.get("autoscale") is not None:
                    raise UserError(f'give {item["type"]} a "quantity" or an "autoscale" rule, not both')
                if rule_of(row) is not None and "autoscale" not in item:
                    # As on Heroku, scaling an autoscaled type by hand turns its autoscaling off.
                    row.autoscale = None
                    notes.append(f"autoscaling of {row.process_type} is off: its quantity was set by hand")
            if "autoscale" in item:
                rule = rule_parsed(row.process_type, item["autoscale"])
                row.autoscale = rule.as_json() if rule else None
                if rule:
                    row.quantity = min(max(row.quantity, rule.floor), rule.max)
            if "memory_mb" in item:
                row.memory_mb = _number(item, "memory_mb", int, MIN_MEMORY_MB, 64 * 1024)
            if "cpus" in item:
                row.cpus = _number(item, "cpus", float, 0.01, 64)
            row.save()
        scaled = ", ".join(f"{row.process_type}={_quantity_text(row)}:{row.memory_mb}MB" for row in rows.values())
        scaled += "".join(f"; {note}" for note in notes)
        platform_event(app.pk, f"Scaled to {scaled}")
        activity_record(team_id=app.team_id, app=app, actor=user, verb="scale", text=f"Scaled to {scaled}")
        transaction.on_commit(lambda: job_queue.wake_reconciler(app.name))
    return list(rows.values())
