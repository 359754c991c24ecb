"""The supervisord.conf the platform renders carries every program's command and environment
exactly, whatever the values hold: supervisor's own parser reads them back unchanged."""
import shlex

import pytest
from supervisor.datatypes import dict_of_key_value_pairs
from supervisor.options import UnhosedConfigParser, expand

from controlplane.supervisor_config import ConfigRefused, Program, render

TRICKY = {
    "PAAS_BUILD_BASE_IMAGES": "paas-base/*,paas-test/*",
    "DATABASE_URL": "postgres://u:p%40ss@db:5432/paas?sslmode=require",
    "DJANGO_SECRET_KEY": 'a"b,c d;e#f=%(here)s',
    "PAAS_CONFIG_KEYS": "k1=,k2==",
    "PAAS_APPS_DOMAIN": "",
}


def _render(programs):
    return render(programs, socket="/v/run/supervisor.sock", pid_file="/v/run/supervisord.pid", log_dir="/v/log")


def _read(text: str, section: str, option: str) -> str:
    parser = UnhosedConfigParser()
    parser.read_string(text)
    return expand(parser.get(section, option), {}, option)


def test_environment_values_with_commas_quotes_comments_and_percent_signs_reach_the_program_unchanged():
    text = _render([Program("web", ["python", "-m", "uvicorn"], TRICKY)])
    assert dict_of_key_value_pairs(_read(text, "program:web", "environment")) == TRICKY


def test_a_command_with_spaces_and_percent_signs_is_read_back_as_the_same_arguments():
    command = ["/opt/my venv/bin/python", "manage.py", "x", "--format", "100%", "a;b#c", "it's"]
    text = _render([Program("metrics", command, {})])
    assert shlex.split(_read(text, "program:metrics", "command")) == command


@pytest.mark.parametrize("value", ["both \" and ' quotes", "cut at a ;comment", "cut at a #comment"])
def test_a_value_supervisor_cannot_carry_is_refused_naming_the_variable(value):
    with pytest.raises(ConfigRefused, match="PAAS_WEIRD"):
        _render([Program("web", ["python"], {"PAAS_WEIRD": value})])


def test_programs_restart_with_back_off_and_stop_as_a_group():
    text = _render([Program("router", ["nginx"], {}, stop_signal="QUIT"), Program("worker-1", ["python"], {})])
    router = dict(line.split("=", 1) for line in text.split("[program:router]")[1].split("[program:")[0].strip().splitlines())
    assert router["autorestart"] == "true"
    assert router["stopsignal"] == "QUIT"
    assert router["stopasgroup"] == router["killasgroup"] == "true"
    assert router["stdout_logfile"] == "/v/log/router.log"
    assert int(router["startretries"]) >= 3
    assert "file=/v/run/supervisor.sock\nchmod=0700" in text
    assert "inet_http_server" not in text
