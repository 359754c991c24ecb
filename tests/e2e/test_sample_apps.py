"""Public sample apps nobody here wrote (tests/samples.py: Flask's tutorial, an express-generator
app, html5-boilerplate, a Django 6 startproject set up as Heroku's guide says), pushed by git
through the builtin buildpacks with no Dockerfile, their dependencies from local mirrors of
PyPI and npm (tests/mirrors.py: the builds reach nothing outside), and fetched through the
router: a real page and a static file it links to."""
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.samples import SAMPLES, Sample, mirror_for
from tests.support import SourceTree

pytestmark = pytest.mark.e2e

# The file each sample's page links to, as the sample ships it (None: made at build time).
STATIC_SOURCES = {
    "flaskr": "flaskr/static/style.css",
    "express": "public/stylesheets/style.css",
    "html5-boilerplate": "js/app.js",
    "django": None,  # collectstatic's copy of Django's admin CSS, under a hashed name
}


def fetch(platform, app: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """A GET through the router as a browser sends it to app.localhost: status, headers, body."""
    request = urllib.request.Request(f"http://127.0.0.1:{platform.router_port}{path}",
                                     headers={"Host": f"{app}.localhost"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def push_sample(platform, sample: Sample, app: str, tmp_path) -> str:
    """The sample's files pushed by git to `app`, with its mirror as build-time config; the output."""
    source = SourceTree(tmp_path / sample.name)
    for name, data in sample.files().items():
        (source.path / name).parent.mkdir(parents=True, exist_ok=True)
        (source.path / name).write_bytes(data)
    source.commit(f"{sample.name} as shipped")
    with mirror_for(sample, platform.instance) as mirror:
        if mirror is not None:
            config = mirror.build_config()
            status, body = platform.api("PATCH", f"/api/apps/{app}/config-vars", config)
            assert status == 200, body
            status, body = platform.api("PATCH", f"/api/apps/{app}", {"build_vars": sorted(config)})
            assert status == 200, body
        push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output
    return push.output


@pytest.mark.parametrize("name", list(SAMPLES))
def test_a_public_sample_app_goes_live_as_shipped_and_serves_its_pages_and_static_files(platform, tmp_path, name):
    sample = SAMPLES[name]()
    app = platform.new_app()

    output = push_sample(platform, sample, app, tmp_path)

    assert "Released v1" in output, output
    _, releases = platform.api("GET", f"/api/apps/{app}/releases")
    assert [(r["version"], r["status"]) for r in releases] == [(1, "live")], releases
    status, headers, page = fetch(platform, app, sample.page)
    assert status == 200, page[:2000]
    text = page.decode()
    assert sample.page_says in text, text[:2000]
    link = re.search(sample.static_link, text)
    assert link, f"no link matching {sample.static_link} on {sample.page}:\n{text[:2000]}"
    static_path = urllib.parse.urljoin(sample.page, link.group(1))
    status, headers, static = fetch(platform, app, static_path)
    assert status == 200, (static_path, static[:500])
    if STATIC_SOURCES[name]:
        assert static == sample.file(STATIC_SOURCES[name]), static_path
    else:
        assert "-----> Django: collecting static files" in output
        assert "static files copied to '/app/staticfiles'" in output, output
        assert headers.get("Content-Type", "").startswith("text/css"), headers
        assert b"DJANGO Admin styles" in static[:200], static[:200]
