"""Fixtures for end-to-end tests: ones that drive the engine directly, without a platform
instance, and a browser for the dashboard."""
import re
import uuid
from pathlib import Path

import docker
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from runtime.docker.containers import DockerContainers
from tests.support import require


@pytest.fixture
def instance(docker_engine, base_image, settings) -> str:
    """A PAAS_INSTANCE of this test alone: everything it creates is labelled with it and removed."""
    settings.PAAS_INSTANCE = f"t{uuid.uuid4().hex[:8]}"
    client = docker.from_env()
    yield settings.PAAS_INSTANCE
    for container in client.containers.list(all=True, filters={"label": f"io.paas.instance={settings.PAAS_INSTANCE}"}):
        container.remove(force=True, v=True)
    for network in client.networks.list(filters={"label": f"io.paas.instance={settings.PAAS_INSTANCE}"}):
        network.remove()
    prefix = f"paas-{settings.PAAS_INSTANCE}/"
    for image in client.images.list(name=f"{prefix}*"):
        # Only this test's tags: the image behind them also carries the shared base image's tag.
        for tag in image.tags:
            if tag.startswith(prefix):
                client.images.remove(tag)
    client.close()


@pytest.fixture
def backend(instance) -> DockerContainers:
    return DockerContainers()


CHROMIUM = "/usr/bin/chromium"
# As root, without a sandbox; the background services would only knock on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (no browser download: the machine has none)."""
    require("Chromium", Path(CHROMIUM).exists(), "apt-get install chromium (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def logged_in(browser, platform, username: str, password: str) -> Page:
    """A fresh browser session logged in to the platform's dashboard."""
    page = browser.new_context().new_page()
    page.goto(f"{platform.web_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login/"))
    return page


@pytest.fixture
def page(browser, platform) -> Page:
    """The dashboard as `admin`."""
    page = logged_in(browser, platform, "admin", (platform.var_dir / "admin.password").read_text().strip())
    yield page
    page.context.close()
