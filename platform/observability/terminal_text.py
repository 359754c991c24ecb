"""Log lines made safe to print on a terminal, for the text form of the log stream.

An app writes what it likes, and `log-stream` is read with curl in a terminal: a carriage
return would let a line start over with a forged `platform:` tag, an OSC sequence retitle the
window, cursor moves and erases rewrite what is already on screen. Colours (SGR, `ESC [ ... m`)
are kept, since apps and builds use them; every other escape sequence and control character
but TAB is removed, in their 7-bit and 8-bit (C1) forms, as ECMA-48 delimits them.
"""
import re

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_SEQUENCE = re.compile(
    # CSI: parameter bytes, intermediate bytes, the final byte (missing at a line's end).
    r"(?:\x1b\[|\x9b)([\x30-\x3f]*)([\x20-\x2f]*)([\x40-\x7e]?)"
    # OSC, DCS, SOS, PM and APC strings, up to their terminator (BEL or ST), or the line's end.
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    # Any other escape sequence (ESC c resets the terminal, ESC 7/8 save and restore the cursor).
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
    # A control character on its own.
    r"|[\x00-\x08\x0a-\x1f\x7f-\x9f]"
)
_SGR_PARAMETERS = re.compile(r"[0-9;:]*")


def terminal_safe(line: str) -> str:
    """`line` with its SGR colour sequences and TABs kept and every other control removed."""
    if not _CONTROL.search(line):
        return line
    return _SEQUENCE.sub(_colours_only, line)


def _colours_only(match: re.Match) -> str:
    parameters, intermediates, final = match.group(1, 2, 3)
    if final == "m" and not intermediates and _SGR_PARAMETERS.fullmatch(parameters):
        return f"\x1b[{parameters}m"
    return ""
