"""The overview shows what really runs (no row stands for a process), and the rule for releases
without `web` (applications/web_process.py), on the real database."""
import pytest
from django.contrib.auth import get_user_model

from applications import process_status
from applications.models import App, Formation, Release, ReleaseStatus
from applications.web_process import release_web_refusal
from runtime.processes import BackendError, Process, ProcessState


class Engine:
    """What the engine says runs: {(type, index, release): state}."""

    def __init__(self, states: dict, error: str = "") -> None:
        self.states, self.error = states, error

    def processes(self, app):
        if self.error:
            raise BackendError(self.error)
        return [Process(id=f"{t}{i}", app=app, release=r, process_type=t, index=i, address=None)
                for (t, i, r) in self.states]

    def state(self, process):
        return self.states[(process.process_type, process.index, process.release)]


UP = ProcessState(running=True, exit_code=None, restarts=0)
CRASHED = ProcessState(running=False, exit_code=3, restarts=2)


@pytest.fixture
def shop(members):
    app = App.objects.create(name="shop", team=members.team)
    # v1 had web; v2, live, has only a worker: the web row stays for a later release.
    Release.objects.create(app=app, version=1, image="i:1", process_types={"web": ""}, status=ReleaseStatus.RETIRED)
    Release.objects.create(app=app, version=2, image="i:2", process_types={"worker": "sleep 9"}, status=ReleaseStatus.LIVE)
    Formation.objects.create(app=app, process_type="web", quantity=1, memory_mb=256, cpus=1.0)
    Formation.objects.create(app=app, process_type="worker", quantity=1, memory_mb=128, cpus=0.5)
    return app


def _overview(client, monkeypatch, engine) -> str:
    monkeypatch.setattr(process_status, "get_scheduler", lambda: engine)
    client.force_login(get_user_model().objects.get(username="viewer"))
    response = client.get("/apps/shop/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_process_type_with_no_container_shows_no_running_process(client, members, shop, monkeypatch):
    page = _overview(client, monkeypatch, Engine({("worker", 1, 2): CRASHED}))
    assert 'data-process-type="web"' not in page  # the stale row of v1's web is no phantom web 1
    assert "worker.1 crashed" in page and "exit code 3" in page
    assert "not serving: no web process is up" in page


def test_running_web_processes_are_shown_with_their_state_and_the_app_as_serving(client, members, shop, monkeypatch):
    Release.objects.filter(app=shop, version=2).update(process_types={"web": "", "worker": "sleep 9"})
    page = _overview(client, monkeypatch, Engine({("web", 1, 2): UP, ("web", 1, 1): UP, ("worker", 1, 2): UP}))
    assert page.count("web.1 up") == 2  # the old release's, draining, too
    assert "serving (1 web process up)" in page or "serving (2 web processes up)" in page


def test_the_scale_page_offers_only_the_live_releases_process_types(client, members, shop):
    client.force_login(get_user_model().objects.get(username="operator"))
    page = client.get("/apps/shop/scale/").content.decode()
    assert 'data-type="worker"' in page and 'data-type="web"' not in page


def test_an_engine_that_does_not_answer_is_said_instead_of_guessing(client, members, shop, monkeypatch):
    page = _overview(client, monkeypatch, Engine({}, error="cannot list the containers of shop"))
    assert "The container engine did not answer" in page and "cannot list the containers of shop" in page
    assert "unknown: the container engine did not answer" in page


def test_a_worker_only_app_from_the_start_may_release_without_web(members):
    app = App.objects.create(name="jobs", team=members.team)
    assert release_web_refusal(app=app, process_types={"worker": "x", "release": "y"}) is None


def test_a_first_release_with_web_misspelt_is_refused(members):
    app = App.objects.create(name="typo", team=members.team)
    assert release_web_refusal(app=app, process_types={"wbe": "x"}) == (
        "the release has no web process: the Procfile declares wbe; did you mean web?")


def test_dropping_web_is_refused_while_it_serves_and_allowed_once_scaled_to_0(members):
    app = App.objects.create(name="site", team=members.team)
    Release.objects.create(app=app, version=4, image="i", process_types={"web": ""}, status=ReleaseStatus.LIVE)
    web = Formation.objects.create(app=app, process_type="web", quantity=2, memory_mb=256, cpus=1.0)

    refusal = release_web_refusal(app=app, process_types={"worker": "x"})
    assert refusal.startswith("the release has no web process: the Procfile declares worker (v4 serves")

    web.quantity = 0
    web.save()
    assert release_web_refusal(app=app, process_types={"worker": "x"}) is None
    assert release_web_refusal(app=app, process_types={"web": "x"}) is None
