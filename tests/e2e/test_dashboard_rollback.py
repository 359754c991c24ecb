"""The dashboard in a real browser (Debian's Chromium, Playwright) against the shared platform:
an admin logs in, deploys twice via git, rolls back to v1 from the releases page and watches
the new release go live without a reload, and sees a log line arrive on the logs page. A
viewer sees no rollback button, and the server refuses the rollback when posted anyway."""
import secrets
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import logged_in
from tests.support import SourceTree, static_site

pytestmark = pytest.mark.e2e


def _viewer(platform) -> tuple[str, str]:
    """A user with a dashboard password and the viewer role in the default team."""
    name, password = f"viewer-{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    script = (
        "from django.contrib.auth import get_user_model; from accounts.models import Team; "
        "from accounts.services import team_add_member; "
        f"user = get_user_model().objects.create_user({name!r}, password={password!r}); "
        "team_add_member(team=Team.objects.get(name='default'), user=user, role='viewer')"
    )
    result = platform.manage("shell", "-c", script)
    assert result.returncode == 0, result.stderr
    return name, password


def test_an_admin_rolls_back_to_v1_from_the_releases_page_and_watches_it_go_live(page, platform, tmp_path):
    app = platform.new_app()
    source = SourceTree(tmp_path / "src")
    for text in ("version one\n", "version two\n"):
        source.write(static_site(text)).commit(text.strip())
        push = source.push(platform.git_url(app))
        assert push.returncode == 0, push.output
    assert platform.get(app) == (200, "version two\n")

    page.goto(f"{platform.web_url}/")
    page.click(f"text={app}")
    page.click("nav.app-tabs >> text=Releases")
    rows = page.locator("table.releases tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("tr[data-version='2'] .badge")).to_have_text("live")
    expect(page.locator("tr[data-version='2'] button.rollback")).to_have_count(0)  # the live one

    page.once("dialog", lambda dialog: dialog.accept())  # hx-confirm's "Roll back to v1?"
    page.click("tr[data-version='1'] button.rollback")

    rollout = page.locator("section.rollout")
    expect(rollout).to_have_attribute("data-version", "3", timeout=10_000)
    expect(rollout).to_have_attribute("data-status", "live", timeout=60_000)
    expect(rollout).to_contain_text("v3 is live.")
    expect(page.locator("tr[data-version='3'] .badge")).to_have_text("live", timeout=10_000)
    expect(page.locator("tr[data-version='3']")).to_contain_text("Rollback to v1")
    assert platform.get(app) == (200, "version one\n")

    page.click("nav.app-tabs >> text=Logs")
    expect(page.locator("#log-status")).to_have_attribute("data-state", "live", timeout=20_000)
    marker = f"/from-the-browser-{secrets.token_hex(4)}"
    platform.get(app, marker)
    expect(page.locator("#log-view .log-line", has_text=marker)).to_have_count(1, timeout=20_000)


def test_a_viewer_sees_no_rollback_button_and_is_refused_when_posting_anyway(browser, platform, tmp_path):
    app = platform.new_app()
    source = SourceTree(tmp_path / "src")
    for text in ("one\n", "two\n"):
        source.write(static_site(text)).commit(text.strip())
        assert source.push(platform.git_url(app)).returncode == 0
    viewer = logged_in(browser, platform, *_viewer(platform))
    try:
        viewer.goto(f"{platform.web_url}/apps/{app}/releases/")
        expect(viewer.locator("table.releases tbody tr")).to_have_count(2)
        expect(viewer.locator("button.rollback")).to_have_count(0)

        # What a hand-made request would send: the session cookie and the page's CSRF token.
        status = viewer.evaluate(
            """async (url) => {
                const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
                const response = await fetch(url, {method: "POST", headers: {"X-CSRFToken": token}});
                return response.status;
            }""",
            f"/apps/{app}/releases/1/rollback",
        )
        assert status == 403
        time.sleep(1)
        releases = platform.api("GET", f"/api/apps/{app}/releases")[1]
        assert [r["version"] for r in releases] == [2, 1]  # nothing was made
    finally:
        viewer.context.close()
