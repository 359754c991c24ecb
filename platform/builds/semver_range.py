"""Whether an npm semver range (package.json's `engines.node`) admits any version of a major.

node-semver's grammar: ranges joined by `||`, each a space-separated set of comparators
(`>=20`, `<21.3`, `=18.1.0`), x-ranges (`20`, `20.x`, `*`), tilde (`~20.1`), caret (`^20.1.0`)
and hyphen ranges (`18 - 20`). Each set is an interval of versions; a major is admitted when
that interval meets [major.0.0, major+1.0.0). Prerelease tags are ignored.
"""
import re
from dataclasses import dataclass

Version = tuple[int, int, int]
PART = r"(?:0|[1-9]\d*|[xX*])"
PARTIAL = re.compile(rf"^v?({PART})(?:\.({PART})(?:\.({PART}))?)?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
COMPARATOR = re.compile(r"^(<=|>=|<|>|=|~>|~|\^)?\s*(.*)$")


class RangeInvalid(ValueError):
    """Not a semver range npm would accept."""


@dataclass(frozen=True)
class Interval:
    low: Version | None = None  # None: unbounded
    low_inclusive: bool = True
    high: Version | None = None
    high_inclusive: bool = False

    def meet(self, other: "Interval") -> "Interval":
        low, low_inclusive = self.low, self.low_inclusive
        if other.low is not None and (low is None or other.low > low or (other.low == low and not other.low_inclusive)):
            low, low_inclusive = other.low, other.low_inclusive
        high, high_inclusive = self.high, self.high_inclusive
        if other.high is not None and (high is None or other.high < high or (other.high == high and not other.high_inclusive)):
            high, high_inclusive = other.high, other.high_inclusive
        return Interval(low, low_inclusive, high, high_inclusive)

    @property
    def empty(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > self.high or (self.low == self.high and not (self.low_inclusive and self.high_inclusive))


def _partial(text: str) -> list[int | None]:
    """[major, minor, patch] with None for a missing or wildcard part."""
    match = PARTIAL.match(text)
    if not match:
        raise RangeInvalid(f"{text!r} is not a version")
    parts: list[int | None] = []
    for part in match.groups():
        if part is None or part in "xX*":
            break  # everything after a wildcard is a wildcard too
        parts.append(int(part))
    return parts + [None] * (3 - len(parts))


def _floor(parts: list[int | None]) -> Version:
    return tuple(part or 0 for part in parts)  # type: ignore[return-value]


def _next_up(parts: list[int | None]) -> Version | None:
    """The first version past what `parts` names (1.2 -> 1.3.0); None when it names everything."""
    known = [part for part in parts if part is not None]
    if not known:
        return None
    if len(known) == 3:
        return (known[0], known[1], known[2] + 1)
    bumped = [*known[:-1], known[-1] + 1]
    return tuple(bumped + [0] * (3 - len(bumped)))  # type: ignore[return-value]


def _comparator(text: str) -> Interval:
    operator, version = COMPARATOR.match(text).groups()
    parts = _partial(version)
    exact = all(part is not None for part in parts)
    if operator in (None, "="):
        return Interval(_floor(parts), True, *((_floor(parts), True) if exact else (_next_up(parts), False)))
    if operator == ">=":
        return Interval(_floor(parts), True)
    if operator == ">":
        return Interval(_floor(parts), False) if exact else Interval(_next_up(parts) or (1 << 30, 0, 0), True)
    if operator == "<":
        return Interval(high=_floor(parts), high_inclusive=False) if parts[0] is not None else Interval((0, 0, 0), True, (0, 0, 0), False)
    if operator == "<=":
        return Interval(high=_floor(parts), high_inclusive=True) if exact else Interval(high=_next_up(parts))
    if operator in ("~", "~>"):
        known = [part for part in parts if part is not None]
        stop = _next_up(known[:2] + [None] * (3 - len(known[:2]))) if known else None
        return Interval(_floor(parts), True, stop, False)
    # ^: no change to the leftmost non-zero part (or to the last part given when all are zero)
    known = [part for part in parts if part is not None]
    if not known:
        return Interval()
    keep = next((index for index, part in enumerate(known) if part != 0), len(known) - 1)
    fixed = known[: keep + 1]
    return Interval(_floor(parts), True, _next_up(fixed + [None] * (3 - len(fixed))), False)


def _hyphen(low: str, high: str) -> Interval:
    high_parts = _partial(high)
    exact = all(part is not None for part in high_parts)
    upper = Interval(high=_floor(high_parts), high_inclusive=True) if exact else Interval(high=_next_up(high_parts))
    return Interval(_floor(_partial(low)), True).meet(upper)


def _comparator_set(text: str) -> Interval:
    text = re.sub(r"(<=|>=|<|>|=|~>|~|\^)\s+", r"\1", text.strip())  # ">= 20" is one comparator
    if match := re.fullmatch(r"(\S+)\s+-\s+(\S+)", text):
        return _hyphen(*match.groups())
    interval = Interval()
    for word in text.split():
        interval = interval.meet(_comparator(word))
    return interval


def parse(text: str) -> list[Interval]:
    """The range as intervals, one per `||` alternative; RangeInvalid if npm would refuse it."""
    if not isinstance(text, str):
        raise RangeInvalid("a range must be a string")
    return [_comparator_set(alternative) for alternative in text.split("||")]


def admits_major(text: str, major: int) -> bool:
    """Whether some version major.x.y satisfies the range `text`."""
    window = Interval((major, 0, 0), True, (major + 1, 0, 0), False)
    return any(not interval.meet(window).empty for interval in parse(text))
