"""Every `pattern` attribute of the dashboard's templates, compiled by Chromium itself.

Chromium compiles `pattern` with the `v` flag, where a `-` inside a character class must be
escaped: `[a-z0-9-]` is an invalid regex there, and Chromium then ignores the pattern, so the
input took any name and only the server's answer said it was wrong."""
import html
import re

import pytest

from tests.support import ROOT

pytestmark = pytest.mark.e2e

TEMPLATES = ROOT / "templates"
INPUT = re.compile(r"<input\b[^>]*>")
ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')

# (template, input name) -> (a value the pattern must accept, one it must refuse)
EXAMPLES = {
    ("dashboard/app_list.html", "name"): ("my-app-2", "my_app"),
    ("dashboard/app_detail.html", "name"): ("renamed-app", "Renamed"),
    ("dashboard/team_list.html", "name"): ("web-team", "web-team-"),
    ("dashboard/partials/config_table.html", "name"): ("DATABASE_URL", "1BAD-NAME"),
}


def template_patterns() -> dict[tuple[str, str], str]:
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        for tag in INPUT.findall(path.read_text()):
            attributes = dict(ATTRIBUTE.findall(tag))
            if "pattern" in attributes:
                found[(str(path.relative_to(TEMPLATES)), attributes.get("name", ""))] = html.unescape(attributes["pattern"])
    return found


def validity(page, pattern: str, value: str) -> dict:
    page.set_content(f'<form><input id="probe" pattern="{html.escape(pattern)}"></form>')
    page.fill("#probe", value)
    return page.eval_on_selector("#probe", "el => ({valid: el.validity.valid, mismatch: el.validity.patternMismatch})")


def test_every_template_pattern_is_valid_in_chromium_and_tells_good_names_from_bad(browser):
    patterns = template_patterns()
    assert set(patterns) == set(EXAMPLES), "a pattern in the templates has no example here (or one went away)"
    page = browser.new_page()
    warnings = []
    page.on("console", lambda message: warnings.append(message.text))
    try:
        for where, pattern in patterns.items():
            good, bad = EXAMPLES[where]
            assert validity(page, pattern, good) == {"valid": True, "mismatch": False}, (where, pattern, good)
            # An invalid pattern is ignored by Chromium: the bad value would pass as valid.
            assert validity(page, pattern, bad) == {"valid": False, "mismatch": True}, (where, pattern, bad)
    finally:
        page.close()
    assert not [w for w in warnings if "pattern" in w.lower()], warnings


def test_the_old_unescaped_pattern_is_what_chromium_ignored(browser):
    """The check above can fail: the pattern as it was is refused by Chromium's `v` flag."""
    page = browser.new_page()
    try:
        assert validity(page, "[a-z][a-z0-9-]{0,28}[a-z0-9]", "my_app")["valid"] is True
    finally:
        page.close()
