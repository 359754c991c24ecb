"""A buildpack build's output as Heroku shows it: a `----->` line per step the buildpack names,
the step's own output indented beneath it, and the engine's bookkeeping left out. It keeps what
the current step printed, so that a failed step can be explained (Step.explain)."""
import re
from collections.abc import Callable

from builds.buildpacks import Step

STEP = re.compile(r"^Step (\d+)/\d+ : ")
BOOKKEEPING = re.compile(
    r"^\s*(---> Running in \w+|---> [0-9a-f]{12}|Removing intermediate container \w+|"
    r"Successfully built \w+|Successfully tagged \S+)\s*$"
)
USING_CACHE = re.compile(r"^\s*---> Using cache\s*$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the engine colours a step's stderr: a lone reset is no line
INDENT = "       "
KEPT_LINES = 400  # of the current step's output, for its explanation


class Narrator:
    def __init__(self, steps: list[Step], say: Callable[[str], None]) -> None:
        self.steps = steps
        self.say = say
        self.current: Step | None = None
        self.output: list[str] = []

    def __call__(self, line: str) -> None:
        if match := STEP.match(line):
            number = int(match.group(1))
            self.current = self.steps[number - 1] if number <= len(self.steps) else None
            self.output = []
            if self.current is not None and self.current.says:
                self.say(self.current.says)
            return
        if USING_CACHE.match(line):
            if self.current is not None and self.current.cache_key:
                self.say(f"{INDENT}Reusing the dependencies installed before: {self.current.cache_key} unchanged")
            return
        if BOOKKEEPING.match(line) or not ANSI.sub("", line).strip():
            return
        self.output = [*self.output[-(KEPT_LINES - 1):], line]
        self.say(f"{INDENT}{line.strip()}")

    def explanation(self) -> str | None:
        """Advice on the step that was running when the build failed, if its buildpack has any."""
        if self.current is None or self.current.explain is None:
            return None
        return self.current.explain(self.output)
