"""Which language version an app asks for, and which of the platform's base images gives it.

Python follows Heroku's rules: `.python-version` (its one non-comment line: `3.13` for the
newest 3.13, `3.13.4` for exactly that patch release, and here also `3` for the newest 3.x),
then the deprecated `runtime.txt` (`python-3.13`); with neither, the newest version available.
Node.js reads package.json's `engines.node` as an npm semver range and takes the newest major
that satisfies it. A version the platform does not have fails the build before it starts,
naming those it has.
"""
import re
from collections.abc import Callable
from dataclasses import dataclass

from builds import semver_range
from builds.errors import BuildFailed
from builds.source import SourceArchive

PYTHON_VERSION = re.compile(r"^(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?)?$")
RUNTIME_TXT = re.compile(r"^\s*python-(\S+)\s*$")


@dataclass(frozen=True)
class Choice:
    version: str  # the platform's version key: "3.13", "20"
    image: str
    origin: str  # what chose it: ".python-version", "runtime.txt", "package.json engines.node", "default"
    notes: tuple[str, ...] = ()

    def line(self, language: str) -> str:
        why = "the newest available; no version was asked for" if self.origin == "default" else f"from {self.origin}"
        return f"-----> Using {language} {self.version} ({why})"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _listed(available: dict[str, str]) -> str:
    return ", ".join(sorted(available, key=_key)) or "none"


def _newest(versions) -> str:
    return max(versions, key=_key)


def _unavailable(language: str, asked: str, origin: str, available: dict[str, str]) -> BuildFailed:
    return BuildFailed(
        f"{language} {asked} is not available on this platform: available {_listed(available)} "
        f"({origin} asked for {asked})"
    )


def _python_version_file(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if len(lines) != 1:
        what = "no version" if not lines else f"{len(lines)} versions ({', '.join(lines)})"
        raise BuildFailed(
            f".python-version has {what}: it must hold one Python version such as 3.13 "
            "(comments on lines of their own, starting with #)"
        )
    return lines[0]


def python_request(source: SourceArchive) -> tuple[str | None, str, list[str]]:
    """(asked version or None, where it came from, notes)."""
    notes = []
    runtime_txt = source.read("runtime.txt")
    if source.has(".python-version"):
        if runtime_txt is not None:
            notes.append("       runtime.txt is ignored: .python-version takes precedence (and runtime.txt is deprecated)")
        return _python_version_file(source.read(".python-version") or ""), ".python-version", notes
    if runtime_txt is not None:
        match = RUNTIME_TXT.match(runtime_txt)
        if not match:
            raise BuildFailed(
                f"runtime.txt must say python-<major>.<minor> (e.g. python-3.13), not {runtime_txt.strip()[:60]!r}"
            )
        notes.append("       runtime.txt is deprecated (as on Heroku): put the version in .python-version instead, e.g. `3.13`")
        return match.group(1), "runtime.txt", notes
    return None, "default", notes


def choose_python(
    source: SourceArchive, available: dict[str, str], patch_level: Callable[[str], str | None],
) -> Choice:
    """The base image for the Python version the app asks for; `available` maps "3.13" to an
    image, `patch_level(image)` says the exact version an image has (None if it does not say)."""
    asked, origin, notes = python_request(source)
    if not available:
        raise BuildFailed("no Python base image is available on this platform: run `make base-images` on the host")
    if asked is None:
        version = _newest(available)
        return Choice(version, available[version], origin, tuple(notes))
    match = PYTHON_VERSION.match(asked)
    if not match:
        raise BuildFailed(
            f"{origin} asks for Python {asked!r}: write a version such as 3.13 (the newest 3.13) or 3.13.4 (exactly that)"
        )
    major, minor, patch = match.groups()
    if minor is None:
        candidates = [version for version in available if version.split(".")[0] == major]
        if not candidates:
            raise _unavailable("Python", asked, origin, available)
        version = _newest(candidates)
        return Choice(version, available[version], origin, tuple(notes))
    version = f"{major}.{minor}"
    if version not in available:
        raise _unavailable("Python", asked, origin, available)
    if patch is not None:
        # Debian's images carry one patch release each: an exact request must be that one.
        has = patch_level(available[version])
        if has != asked:
            offer = f"this platform's Python {version} is {has}" if has else f"this platform's Python {version} image does not say its patch release"
            raise BuildFailed(
                f"Python {asked} is not available on this platform: {offer} ({origin} asked for {asked}); "
                f"ask for {version} to take it, or one of {_listed(available)}"
            )
    return Choice(version, available[version], origin, tuple(notes))


def choose_node(package: dict, available: dict[str, str]) -> Choice:
    """The base image for the newest Node.js major that package.json's engines.node admits."""
    if not available:
        raise BuildFailed("no Node.js base image is available on this platform: run `make base-images` on the host")
    engines = package.get("engines")
    wanted = engines.get("node") if isinstance(engines, dict) else None
    if wanted is None:
        version = _newest(available)
        return Choice(version, available[version], "default")
    origin = "package.json engines.node"
    try:
        fitting = [version for version in available if semver_range.admits_major(wanted, _key(version)[0])]
    except semver_range.RangeInvalid as error:
        raise BuildFailed(f"package.json engines.node {wanted!r} is not a semver range npm accepts: {error}") from None
    if not fitting:
        raise BuildFailed(
            f"Node.js {wanted} is not available on this platform: available {_listed(available)} ({origin} asked for {wanted})"
        )
    version = _newest(fitting)
    return Choice(version, available[version], origin)
