"""The instance's supervisord.conf: one [program] per platform process, the event listener that
records restarts, and a control socket in var/run that only root can reach.

The programs' environment (the PAAS_*/DJANGO_* settings, DATABASE_URL, ...) is written into
each [program], not inherited from supervisord: `make up` with a changed setting then changes
the programs' config, and supervisor's own update restarts exactly those. Supervisor expands
`%(...)s` in values and cuts them at quotes, commas and ` ;`/` #` comments, so every value is
quoted for its parser and the rendered file is read back with supervisor's own parser: a value
it would not carry unchanged is refused, naming the variable.
"""
import configparser
import shlex
from dataclasses import dataclass

from django.conf import settings
from supervisor.datatypes import dict_of_key_value_pairs
from supervisor.options import UnhosedConfigParser, expand

# Settings the programs read from the environment (paas/settings.py, the Docker SDK).
SETTING_PREFIXES = ("PAAS_", "DJANGO_", "DOCKER_")
SETTING_NAMES = ("DATABASE_URL", "REDIS_URL")
# How long a program must stay up to count as started: less, and supervisor backs off (1 s,
# 2 s, ...) and gives up (FATAL) after `startretries`, rather than restart it in a tight loop.
# Django's programs fail at start (a port taken, a bad setting) within 2 s even on a busy
# 2-core machine; nginx within a fraction of one.
START_SECONDS = {"router": 1}
DEFAULT_START_SECONDS = 3
START_RETRIES = 5
STOP_WAIT_SECONDS = 15


class ConfigRefused(Exception):
    pass


@dataclass(frozen=True)
class Program:
    name: str
    command: list[str]
    environment: dict[str, str]
    stop_signal: str = "TERM"
    priority: int = 50
    listener: bool = False  # an [eventlistener] (supervisor's protocol on its stdin/stdout)


def is_setting(name: str) -> bool:
    return name.startswith(SETTING_PREFIXES) or name in SETTING_NAMES


def _escape(text: str) -> str:
    return text.replace("%", "%%")


def _quote_value(name: str, value: str) -> str:
    # Supervisor's parser (non-POSIX shlex) has no escapes inside quotes: a value holding a
    # double quote goes in single quotes; what neither carries, _check refuses.
    quote = "'" if '"' in value else '"'
    return f"{name}={quote}{_escape(value)}{quote}"


def _environment(environment: dict[str, str]) -> str:
    return ",".join(_quote_value(name, value) for name, value in sorted(environment.items()))


def _command(command: list[str]) -> str:
    return _escape(shlex.join(command))


def _section(program: Program, log_dir: str) -> str:
    kind = "eventlistener" if program.listener else "program"
    lines = [
        f"[{kind}:{program.name}]",
        f"command={_command(program.command)}",
        f"directory={_escape(str(settings.ROOT_DIR))}",
        f"environment={_environment(program.environment)}",
        f"priority={program.priority}",
        "autostart=true",
        "autorestart=true",
        f"startsecs={START_SECONDS.get(program.name, DEFAULT_START_SECONDS)}",
        f"startretries={START_RETRIES}",
        f"stopsignal={program.stop_signal}",
        f"stopwaitsecs={STOP_WAIT_SECONDS}",
        # Each program is the leader of its own process group: stopping or killing it takes
        # its children too (git, nginx's workers, a build's subprocesses).
        "stopasgroup=true",
        "killasgroup=true",
    ]
    if program.listener:
        lines += ["events=PROCESS_STATE", f"stderr_logfile={_escape(log_dir)}/{program.name}.log"]
    else:
        lines += ["redirect_stderr=true", f"stdout_logfile={_escape(log_dir)}/{program.name}.log"]
    lines += ["stdout_logfile_maxbytes=50MB", "stdout_logfile_backups=3",
              "stderr_logfile_maxbytes=50MB", "stderr_logfile_backups=3"]
    return "\n".join(lines) + "\n"


def render(programs: list[Program], *, socket: str, pid_file: str, log_dir: str) -> str:
    text = f"""; Rendered by the platform (controlplane/supervisor_config.py) on every `make up`; edits are overwritten.
; supervisorctl -c THIS_FILE status   shows the platform's processes.
[unix_http_server]
file={_escape(socket)}
chmod=0700

[supervisord]
logfile={_escape(log_dir)}/supervisord.log
logfile_maxbytes=50MB
logfile_backups=3
pidfile={_escape(pid_file)}
umask=077
identifier=paas-{_escape(settings.PAAS_INSTANCE)}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{_escape(socket)}

""" + "\n".join(_section(program, log_dir) for program in programs)
    _check(text, programs)
    return text


def _check(text: str, programs: list[Program]) -> None:
    """Read the file back as supervisord will, refusing what it would not carry unchanged."""
    parser = UnhosedConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error as error:
        raise ConfigRefused(f"the supervisor config the platform rendered does not parse: {error}") from None
    for program in programs:
        section = f"{'eventlistener' if program.listener else 'program'}:{program.name}"
        try:
            environment = dict_of_key_value_pairs(expand(parser.get(section, "environment"), {}, "environment"))
        except ValueError:
            environment = {}
        for name, value in program.environment.items():
            if environment.get(name) != value:
                raise ConfigRefused(f"the value of {name} cannot be passed to the platform's processes through "
                                    "supervisor's config (it holds both kinds of quotes, or a ' ;' or ' #')")
        try:
            command = shlex.split(expand(parser.get(section, "command"), {}, "command"))
        except ValueError:
            command = None
        if command != program.command:
            raise ConfigRefused(f"the command of {program.name} cannot be written into supervisor's config: {program.command}")
