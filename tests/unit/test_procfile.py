import pytest

from applications.procfile import ProcfileError, parse_procfile, process_types_for, shell_command


def test_procfile_types_and_commands_are_parsed_with_comments_and_blank_lines():
    text = "# processes\nweb: gunicorn app:app --bind 0.0.0.0:$PORT\n\nworker:  python worker.py \nrelease: ./migrate\n"
    assert parse_procfile(text) == {
        "web": "gunicorn app:app --bind 0.0.0.0:$PORT",
        "worker": "python worker.py",
        "release": "./migrate",
    }


@pytest.mark.parametrize(
    "text, message",
    [
        ("web gunicorn", "line 1 is not `type: command`"),
        ("web:", "line 1 is not `type: command`"),
        ("we b: x", "line 1"),
        ("web: a\nweb: b", "line 2 defines 'web' a second time"),
        ("# only a comment\n", "defines no process types"),
    ],
)
def test_malformed_procfiles_are_refused_with_the_line(text, message):
    with pytest.raises(ProcfileError, match=message):
        parse_procfile(text)


def test_without_a_procfile_web_runs_the_images_own_command():
    assert process_types_for(None) == {"web": ""}
    assert shell_command("") is None


def test_procfile_commands_run_through_sh_so_port_expands():
    assert shell_command("httpd -p $PORT") == ["/bin/sh", "-c", "httpd -p $PORT"]
