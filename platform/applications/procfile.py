"""Procfile parsing: `type: command` lines, as on Heroku."""
import re

PROCESS_TYPE = re.compile(r"^[A-Za-z0-9_-]{1,30}$")
RELEASE_PHASE = "release"


class ProcfileError(Exception):
    pass


def parse_procfile(text: str) -> dict[str, str]:
    """{type: command}; blank lines and `#` comments are ignored, anything else malformed is an error."""
    types: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, colon, command = stripped.partition(":")
        name, command = name.strip(), command.strip()
        if not colon or not PROCESS_TYPE.match(name) or not command:
            raise ProcfileError(f"Procfile line {number} is not `type: command`: {stripped!r}")
        if name in types:
            raise ProcfileError(f"Procfile line {number} defines '{name}' a second time")
        types[name] = command
    if not types:
        raise ProcfileError("the Procfile defines no process types")
    return types


def process_types_for(procfile: str | None) -> dict[str, str]:
    """A release's process types: the Procfile's, or `web` running the image's own command."""
    if procfile is None:
        return {"web": ""}
    return parse_procfile(procfile)


def shell_command(command: str) -> list[str] | None:
    """How a container runs a Procfile command: through sh, so `$PORT` and `&&` work as on
    Heroku. An empty command means the image's own."""
    return ["/bin/sh", "-c", command] if command else None
