"""The dashboard's forms in a real browser: what each one changes shows in the page without a
reload, and a refused change shows its reason at the top of the page."""
import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.support import deploy_site

pytestmark = pytest.mark.e2e


def htmx_settled(page) -> None:
    """Wait until htmx has no request in flight and has settled what it swapped in."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def accept_dialogs(page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


def test_creating_an_app_and_a_team_then_managing_members(page, platform):
    get_user = platform.manage("create_token", "member-" + (suffix := secrets.token_hex(3)))
    assert get_user.returncode == 0
    member = f"member-{suffix}"
    accept_dialogs(page)

    page.goto(f"{platform.web_url}/")
    app = f"form-{suffix}"
    page.fill("input[name=name]", app)
    page.click("text=Create app")
    expect(page).to_have_url(re.compile(rf"/apps/{app}/$"))
    expect(page.locator("h1")).to_have_text(app)

    page.goto(f"{platform.web_url}/teams/")
    team = f"team-{suffix}"
    page.fill("input[name=name]", team)
    page.click("text=Create team")
    expect(page).to_have_url(re.compile(rf"/teams/{team}/$"))
    members = page.locator("#members table tbody tr")
    expect(members).to_have_count(1)

    page.fill("#members input[name=user]", member)
    page.select_option("#members form.row select[name=role]", "viewer")
    page.click("text=Add member")
    expect(page.locator(f"tr[data-user='{member}']")).to_have_count(1)
    # htmx wires the swapped-in row's form (its change trigger) when it has settled: a change
    # made before that sends nothing, as a user's could not be that quick.
    htmx_settled(page)
    page.select_option(f"tr[data-user='{member}'] select", "operator")
    expect(page.locator(f"tr[data-user='{member}'] select")).to_have_value("operator")
    # The select shows its new value at once; the form it submits lands a moment later.
    wanted = [{"user": "admin", "role": "admin"}, {"user": member, "role": "operator"}]
    platform.wait_for("the role change to be saved",
                      lambda: platform.api("GET", f"/api/teams/{team}/members")[1] == wanted, timeout=10)
    page.click(f"tr[data-user='{member}'] >> text=Remove")
    expect(page.locator(f"tr[data-user='{member}']")).to_have_count(0)

    page.click("tr[data-user='admin'] >> text=Remove")  # the last admin
    expect(page.locator("#flash")).to_contain_text("last admin")
    expect(page.locator("tr[data-user='admin']")).to_have_count(1)


def test_tokens_are_shown_once_and_revoked(page, platform):
    accept_dialogs(page)
    page.goto(f"{platform.web_url}/tokens/")
    page.fill("input[name=description]", "from the browser")
    page.click("text=Create token")
    secret = page.locator("code.secret").inner_text()
    assert secret.startswith("paas_")
    assert platform.api("GET", "/api/apps", token=secret)[0] == 200

    page.reload()
    expect(page.locator("code.secret")).to_have_count(0)  # shown once only
    row = page.locator("tr", has_text="from the browser")
    row.locator("text=Revoke").click()
    expect(page.locator("tr", has_text="from the browser")).to_have_count(0)
    assert platform.api("GET", "/api/apps", token=secret)[0] == 401


def test_config_vars_scaling_and_maintenance_from_their_pages(page, platform, tmp_path):
    app = deploy_site(platform, tmp_path / "src", "configured\n")
    accept_dialogs(page)

    page.goto(f"{platform.web_url}/apps/{app}/config/")
    page.fill("#config-table input[name=name]", "GREETING")
    page.fill("#config-table input[name=value]", "hello there")
    page.click("#config-table form button[type=submit]")
    row = page.locator("tr[data-name=GREETING]")
    expect(row).to_contain_text("••••")
    expect(page.locator("#config-table")).to_contain_text("is rolling out")
    row.locator("button.reveal").click()
    expect(row.locator("code.revealed")).to_have_text("hello there")
    page.locator("tr[data-name=GREETING] button.unset").click()
    expect(page.locator("tr[data-name=GREETING]")).to_have_count(0)

    page.goto(f"{platform.web_url}/apps/{app}/scale/")
    page.fill("input[aria-label='quantity of web']", "2")
    page.click("tr[data-type=web] >> button:has-text('Scale')")  # not the "Autoscale" box's label
    expect(page.locator("#formation")).to_contain_text("Scaled web.")
    expect(page.locator("input[aria-label='quantity of web']")).to_have_value("2")
    platform.wait_for("two web processes", lambda: len(platform.containers(app, process_type="web")) == 2)

    page.click("text=Turn maintenance mode on")
    expect(page.locator("#formation")).to_contain_text("Turn maintenance mode off")
    # A job switches the router (applications/maintenance.py), within a second.
    platform.wait_for("the router to answer 503", lambda: platform.get(app)[0] == 503, timeout=10)
    page.click("text=Turn maintenance mode off")
    expect(page.locator("#formation")).to_contain_text("Turn maintenance mode on")
    platform.wait_for("the app to serve again", lambda: platform.get(app)[0] == 200, timeout=10)
    assert platform.get(app) == (200, "configured\n")


def _web_rule(platform, app: str):
    status, rows = platform.api("GET", f"/api/apps/{app}/formation")
    assert status == 200, rows
    return next(row for row in rows if row["type"] == "web")["autoscale"]


def test_autoscaling_is_turned_on_and_off_from_the_scaling_page(page, platform, tmp_path):
    app = deploy_site(platform, tmp_path / "src", "autoscaled\n")
    page.goto(f"{platform.web_url}/apps/{app}/scale/")
    page.check("input[aria-label='autoscale web']")
    page.fill("input[aria-label='autoscale minimum of web']", "0")
    page.fill("input[aria-label='autoscale maximum of web']", "3")
    page.fill("input[aria-label='autoscale concurrency of web']", "7")
    page.fill("input[aria-label='autoscale idle seconds of web']", "600")
    page.click("tr[data-type=web] >> button:has-text('Scale')")
    expect(page.locator("#formation")).to_contain_text("Autoscaling web between 0 and 3 processes (sleeps when idle).")
    expect(page.locator("input[aria-label='quantity of web']")).to_have_attribute("readonly", "")
    assert _web_rule(platform, app) == {"min": 0, "max": 3, "concurrency": 7, "idle_seconds": 600}

    htmx_settled(page)
    page.uncheck("input[aria-label='autoscale web']")
    page.click("tr[data-type=web] >> button:has-text('Scale')")
    expect(page.locator("#formation")).to_contain_text("Autoscaling of web is off: it keeps 1.")
    expect(page.locator("input[aria-label='quantity of web']")).not_to_have_attribute("readonly", "")
    assert _web_rule(platform, app) is None
