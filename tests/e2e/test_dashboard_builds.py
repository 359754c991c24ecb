"""The dashboard's build pages: a failed build's output in colour, as the log page shows it (not
raw escape codes), and how long each build took."""
import re

import pytest
from playwright.sync_api import expect

from tests.support import BASE_IMAGE, SourceTree

pytestmark = pytest.mark.e2e

COLOURED = "FROM {base}\nRUN printf '\\033[31mred failure\\033[0m then \\033[1;32mbold green\\033[0m\\n' && exit 3\n"


def test_a_failed_builds_colours_are_drawn_and_its_duration_shown(page, platform, tmp_path):
    app = platform.new_app()
    source = SourceTree(tmp_path / "coloured")
    source.write({"Dockerfile": COLOURED.format(base=BASE_IMAGE)}).commit()
    push = source.push(platform.git_url(app))
    assert push.returncode != 0 and "red failure" in push.output, push.output
    _, builds = platform.api("GET", f"/api/apps/{app}/builds")
    build = builds[0]
    assert build["status"] == "failed" and "\x1b[31m" in platform.api("GET", f"/api/apps/{app}/builds/{build['id']}")[1]["output"]
    assert build["started_at"] and build["finished_at"] and build["duration_seconds"] >= 0, build

    page.goto(f"{platform.web_url}/apps/{app}/builds/")
    expect(page.locator("td.build-duration").first).to_have_text(re.compile(r"^\d+\.\d s$"))

    page.goto(f"{platform.web_url}/apps/{app}/builds/{build['id']}/")
    log = page.locator("pre.log")
    expect(log.locator("span.ansi-fg-1")).to_have_text("red failure")
    expect(log.locator("span.ansi-fg-2.ansi-bold")).to_have_text("bold green")
    text = log.text_content()
    # The step's command shows `\033[31m` as typed; its output's escape codes are gone.
    assert "red failure then bold green" in text.splitlines() and "\x1b" not in text, text
    expect(page.locator(".build-output .build-duration")).to_have_text(re.compile(r"^in \d+\.\d s$"))


# A web process that prints in colour and exits: its release fails with that output as the reason.
CRASHING_IN_COLOUR = (
    "FROM {base}\n"
    "CMD [\"sh\", \"-c\", \"printf '\\\\033[31mweb crashed\\\\033[0m on purpose\\\\n'; exit 1\"]\n"
)


def test_a_failed_releases_reason_is_drawn_in_colour(page, platform, tmp_path):
    app = platform.new_app()
    source = SourceTree(tmp_path / "crashing")
    source.write({"Dockerfile": CRASHING_IN_COLOUR.format(base=BASE_IMAGE)}).commit()
    push = source.push(platform.git_url(app))
    assert push.returncode != 0 and "web crashed" in push.output, push.output
    _, releases = platform.api("GET", f"/api/apps/{app}/releases")
    assert releases[0]["status"] == "failed", releases

    page.goto(f"{platform.web_url}/apps/{app}/releases/")
    reason = page.locator("pre.reason").first
    expect(reason.locator("span.ansi-fg-1").first).to_have_text("web crashed")  # once per restart
    assert "\x1b" not in reason.text_content(), reason.text_content()
