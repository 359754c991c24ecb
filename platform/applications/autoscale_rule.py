"""An autoscale rule of a process type, as the formation API takes it and the autoscaler reads it:
{"min": 0, "max": 4, "concurrency": 10, "idle_seconds": 60}.

Only web autoscales, on requests in flight per process (which the router measures); worker
types stay manual, since nothing here knows what their load is. `min` 0 is scale to zero: no
request for `idle_seconds` and the app sleeps."""
from dataclasses import asdict, dataclass

from django.conf import settings

from paas.errors import UserError

FIELDS = ("min", "max", "concurrency", "idle_seconds")
DEFAULT_CONCURRENCY = 10
DEFAULT_IDLE_SECONDS = 60
MAX_CONCURRENCY = 10_000
MAX_IDLE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class AutoscaleRule:
    min: int
    max: int
    concurrency: int = DEFAULT_CONCURRENCY
    idle_seconds: int = DEFAULT_IDLE_SECONDS

    @property
    def scales_to_zero(self) -> bool:
        return self.min == 0

    @property
    def floor(self) -> int:
        """The fewest processes it scales down to while awake; 0 is reached by sleeping only."""
        return max(self.min, 1)

    def as_json(self) -> dict:
        return asdict(self)


def rule_of(row) -> AutoscaleRule | None:
    """The rule stored on a Formation row, None when its quantity is manual."""
    return AutoscaleRule(**row.autoscale) if row.autoscale else None


def _whole(value, name: str, process_type: str, low: int, high: int, why: str = "") -> int:
    where = f'"autoscale.{name}" of {process_type}'
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f"{where} must be a whole number")
    if value < low:
        raise UserError(f"{where} must be at least {low}")
    if value > high:
        raise UserError(f"{where} must be at most {high}{why}")
    return value


def rule_parsed(process_type: str, value) -> AutoscaleRule | None:
    """The rule a formation update asks for (None turns autoscaling off); UserError (a 400)
    naming the field that is wrong."""
    if value is None:
        return None
    if process_type != "web":
        raise UserError(f'"autoscale" is for web only: {process_type} keeps the quantity you give it')
    if not isinstance(value, dict):
        raise UserError('"autoscale" must be an object such as {"min": 0, "max": 4, "concurrency": 10} or null')
    unknown = set(value) - set(FIELDS)
    if unknown:
        raise UserError(f"unknown autoscale fields: {', '.join(sorted(unknown))} (known: {', '.join(FIELDS)})")
    for name in ("min", "max"):
        if name not in value:
            raise UserError(f'"autoscale.{name}" of {process_type} is required')
    limit = settings.PAAS_AUTOSCALE_MAX
    why = " (PAAS_AUTOSCALE_MAX, this platform's limit)"
    low = _whole(value["min"], "min", process_type, 0, limit, why)
    high = _whole(value["max"], "max", process_type, 1, limit, why)
    if low > high:
        raise UserError(f'"autoscale.min" of {process_type} ({low}) is above "autoscale.max" ({high})')
    return AutoscaleRule(
        min=low,
        max=high,
        concurrency=_whole(value.get("concurrency", DEFAULT_CONCURRENCY), "concurrency", process_type, 1, MAX_CONCURRENCY),
        idle_seconds=_whole(value.get("idle_seconds", DEFAULT_IDLE_SECONDS), "idle_seconds", process_type, 1, MAX_IDLE_SECONDS),
    )
