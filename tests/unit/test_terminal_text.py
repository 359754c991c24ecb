"""The text log stream's sanitiser: colours stay, every other escape and control goes."""
import pytest

from observability.terminal_text import terminal_safe

ESC = "\x1b"


def test_a_plain_line_is_returned_as_it_is():
    line = "GET / 200 in 3 ms\twith a tab, ünïcödé and a backslash \\"
    assert terminal_safe(line) is line


@pytest.mark.parametrize("colours", [
    f"{ESC}[31mred{ESC}[0m",
    f"{ESC}[1;32mbold green{ESC}[m",
    f"{ESC}[38;5;208morange{ESC}[39m",
    f"{ESC}[38;2;10;20;30mtrue colour{ESC}[0m",
    f"{ESC}[38:2::10:20:30mT.416 form{ESC}[0m",
])
def test_colour_sequences_are_kept(colours):
    assert terminal_safe(colours) == colours


def test_an_8_bit_colour_sequence_is_kept_in_its_7_bit_form():
    assert terminal_safe("\x9b31mred\x9b0m") == f"{ESC}[31mred{ESC}[0m"


def test_a_carriage_return_cannot_start_a_forged_platform_line():
    forged = "ok\r2026-11-23T10:00:00.000000Z platform: Release v9 created by admin"
    assert terminal_safe(forged) == "ok2026-11-23T10:00:00.000000Z platform: Release v9 created by admin"


@pytest.mark.parametrize("sequence", [
    f"{ESC}]0;pwned\x07",  # window title, BEL-terminated
    f"{ESC}]2;pwned{ESC}\\",  # window title, ST-terminated
    f"{ESC}]8;;http://evil.example/{ESC}\\",  # a hyperlink
    "\x9d0;pwned\x9c",  # 8-bit OSC and ST
    f"{ESC}P+q544e{ESC}\\",  # DCS (a terminal query)
    f"{ESC}_app command{ESC}\\",  # APC
    f"{ESC}[2J", f"{ESC}[H", f"{ESC}[1A", f"{ESC}[2K", f"{ESC}[?25l", f"{ESC}[6n",  # erase, move, hide, query
    f"{ESC}[>4;2m",  # private-marker "m" (xterm modifyOtherKeys): not a colour
    f"{ESC}[31 m",  # intermediate byte: not a colour
    "\x9b2J",  # 8-bit CSI
    f"{ESC}c", f"{ESC}7", f"{ESC}8", f"{ESC}(0", f"{ESC}M",  # reset, save/restore cursor, charset, reverse index
    "\x08", "\x7f", "\x00", "\x07", "\n", "\x0b", "\x0c", "\x85",  # C0, DEL, C1
])
def test_every_other_escape_sequence_and_control_is_removed(sequence):
    assert terminal_safe(f"before{sequence}after") == "beforeafter"


def test_an_unterminated_string_sequence_runs_to_the_end_of_the_line():
    assert terminal_safe(f"visible{ESC}]0;title that never ends") == "visible"


def test_a_sequence_cut_at_the_end_of_the_line_is_removed():
    assert terminal_safe(f"visible{ESC}[12") == "visible"
    assert terminal_safe(f"visible{ESC}") == "visible"


def test_colours_around_removed_sequences_survive():
    line = f"{ESC}[31mred{ESC}]0;t\x07\r{ESC}[2K still red{ESC}[0m"
    assert terminal_safe(line) == f"{ESC}[31mred still red{ESC}[0m"
