"""What a Dockerfile asks the engine to fetch: the images its stages start from or copy out of,
and the URLs its ADD lines name, read the way the engine's classic builder reads them.

The engine resolves these itself, on the host and with the host's network, before any build
container runs; so they are checked here (builds.base_images) before the build is started.
Where the builder would substitute a variable the platform cannot know for sure, the reading
fails rather than guess: a guess that differs from the engine's would let a reference through.
"""
import json
import re
from dataclasses import dataclass, field

DIRECTIVE = re.compile(r"#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
# The variable forms whose value is known before the build: $NAME, ${NAME}, ${NAME:-default}.
VARIABLE = re.compile(r"\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^${}\\]*))?\})")
URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


class DockerfileRefused(Exception):
    """The Dockerfile cannot be checked or asks for what builds may not have; says which line."""


@dataclass(frozen=True)
class Instruction:
    line: int  # where the instruction starts, 1-based
    keyword: str  # upper case
    arguments: str

    def flags_and_words(self) -> tuple[dict[str, str], list[str]]:
        """`--name=value` flags and the remaining words (or the JSON array's items)."""
        text, flags = self.arguments, {}
        while match := re.match(r"\s*--([a-zA-Z-]+)(?:=(\S*))?\s*", text):
            flags[match.group(1).lower()] = match.group(2) or ""
            text = text[match.end():]
        text = text.strip()
        if text.startswith("["):
            try:
                words = json.loads(text)
            except ValueError:
                words = None
            if isinstance(words, list) and all(isinstance(word, str) for word in words):
                return flags, words
        return flags, text.split()


@dataclass
class Stage:
    image: str  # as written, after the global ARGs were substituted
    name: str | None
    line: int


@dataclass
class Reading:
    stages: list[Stage] = field(default_factory=list)
    copied_images: list[tuple[int, str]] = field(default_factory=list)  # (line, image) of COPY --from=IMAGE
    urls: list[tuple[int, str]] = field(default_factory=list)  # (line, url) that ADD would fetch


def instructions(text: str) -> list[Instruction]:
    """The instructions, with continuation lines joined and comments dropped (the parser's rules:
    leading `# directive=value` lines choose the escape character)."""
    escape = "\\"
    lines = text.splitlines()
    for line in lines:
        directive = DIRECTIVE.match(line.strip())
        if not directive:
            break
        if directive.group(1).lower() == "escape":
            escape = directive.group(2)
            if escape not in ("\\", "`"):
                raise DockerfileRefused(f"line 1: escape must be \\ or `, not {escape!r}")
    result, pending, start = [], "", 0
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("#") or (pending and not stripped):
            continue  # the builder skips comments and empty lines inside a continued instruction too
        if not pending:
            start = number
        if line.rstrip().endswith(escape):
            pending += line.rstrip()[: -len(escape)]
            continue
        whole, pending = (pending + line).strip(), ""
        if whole:
            keyword, _, arguments = whole.partition(" ")
            result.append(Instruction(start, keyword.upper(), arguments.strip()))
    if pending.strip():
        keyword, _, arguments = pending.strip().partition(" ")
        result.append(Instruction(start, keyword.upper(), arguments.strip()))
    return result


def _substitute(value: str, known: dict[str, str], line: int, what: str) -> str:
    """`value` with its variables replaced as the builder would; refused for any other form."""

    def replace(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        default = match.group(3)
        found = known.get(name)
        return found if found else (default or "")

    result = VARIABLE.sub(replace, value)
    if "$" in result or (result != value and "\\" in value):
        raise DockerfileRefused(
            f"line {line}: {what} uses a variable in a form the platform cannot check ({value}); "
            "use $NAME, ${NAME} or ${NAME:-default} with a build argument or an ARG default"
        )
    return result


def _argument_default(instruction: Instruction) -> tuple[str, str | None]:
    name, equals, default = instruction.arguments.partition("=")
    if equals and default[:1] in "\"'" and default[-1:] == default[:1] and len(default) > 1:
        default = default[1:-1]
    elif re.search(r"\s", default):
        default = None  # unquoted whitespace: more than one ARG on the line
    if default is None and equals or re.search(r"\s", name.strip()):
        raise DockerfileRefused(f"line {instruction.line}: declare one ARG per line before the first FROM")
    return name.strip(), (default if equals else None)


def read(text: str, build_args: dict[str, str]) -> Reading:
    """Every image reference and fetched URL in the Dockerfile `text`."""
    reading, global_args, started = Reading(), {}, False
    stage_names: set[str] = set()
    for instruction in instructions(text):
        keyword = instruction.keyword
        if keyword == "ARG" and not started:
            name, default = _argument_default(instruction)
            value = build_args.get(name, default)
            if value is not None:
                global_args[name] = _substitute(value, global_args, instruction.line, "ARG")
            continue
        if keyword == "FROM":
            started = True
            flags, words = instruction.flags_and_words()
            if not words:
                raise DockerfileRefused(f"line {instruction.line}: FROM names no image")
            image = _substitute(words[0], global_args, instruction.line, "FROM")
            name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
            reading.stages.append(Stage(image=image, name=name, line=instruction.line))
            if name:
                stage_names.add(name)
            continue
        _read_step(instruction, reading, stage_names, len(reading.stages))
    return reading


def _read_step(instruction: Instruction, reading: Reading, stage_names: set[str], stages_so_far: int) -> None:
    keyword = instruction.keyword
    if keyword == "ONBUILD":
        inner = Instruction(instruction.line, *_split(instruction.arguments))
        if inner.keyword in ("FROM", "ONBUILD", "MAINTAINER"):
            raise DockerfileRefused(f"line {instruction.line}: ONBUILD {inner.keyword} is not allowed")
        # A trigger runs in a later build that starts FROM this image: it is checked as if it were
        # a step of this one, so that it could not fetch anything at that point either.
        _read_step(inner, reading, set(), 0)
        return
    if keyword not in ("COPY", "ADD"):
        return
    flags, words = instruction.flags_and_words()
    source = flags.get("from")
    if source is not None and keyword == "COPY":
        if "$" in source:
            raise DockerfileRefused(f"line {instruction.line}: COPY --from cannot use a variable ({source})")
        is_stage = source.lower() in stage_names or (source.isdigit() and int(source) < stages_so_far)
        if not is_stage:
            reading.copied_images.append((instruction.line, source))
    if keyword == "ADD":
        for word in words[:-1]:
            if "$" in word:
                raise DockerfileRefused(
                    f"line {instruction.line}: ADD cannot take a variable as its source ({word}): "
                    "the platform must know it is not a URL; use COPY for files of the repository"
                )
            if URL.match(word):
                reading.urls.append((instruction.line, word))


def _split(arguments: str) -> tuple[str, str]:
    keyword, _, rest = arguments.strip().partition(" ")
    return keyword.upper(), rest.strip()


def trigger_instructions(triggers: list[str]) -> list[Instruction]:
    """An image's ONBUILD triggers (as the engine keeps them in its config) as instructions."""
    return [Instruction(0, *_split(trigger)) for trigger in triggers]
