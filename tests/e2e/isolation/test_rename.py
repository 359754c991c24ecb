"""Issue 14, finding 5: a rename gives its old name up only once nothing of the app answers to
it, and whoever takes the name next gets an empty repository, never the renamed app's commits."""
import threading
import time
import uuid
from dataclasses import dataclass

import pytest

from tests.support import deploy_site, git

pytestmark = pytest.mark.e2e


def own_team(platform, prefix: str) -> tuple[str, str]:
    """A new user with a token and a team of their own: (token, team name)."""
    suffix = uuid.uuid4().hex[:8]
    token = platform.create_token(f"{prefix}{suffix}")
    team = f"{prefix}-{suffix}"
    status, body = platform.api("POST", "/api/teams", {"name": team}, token=token)
    assert status == 201, body
    return token, team


def rename_done(platform, old: str, new: str) -> bool:
    status, activity = platform.api("GET", f"/api/apps/{new}/activity")
    return status == 200 and bool(activity) and activity[0]["text"] == f"Renamed the app from {old} to {new}"


@dataclass
class Attempt:
    sent: float
    answered: float
    status: int
    error: str


class Claimer(threading.Thread):
    """Another team's user creating an app with `name` over and over until it gets it."""

    def __init__(self, platform, token: str, team: str, name: str) -> None:
        super().__init__(daemon=True)
        self.platform, self.token, self.team, self.name = platform, token, team, name
        self.attempts: list[Attempt] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            sent = time.monotonic()
            status, body = self.platform.api("POST", "/api/apps", {"name": self.name, "team": self.team}, token=self.token)
            self.attempts.append(Attempt(sent, time.monotonic(), status, (body or {}).get("error", "")))
            if status == 201:
                return
            time.sleep(0.05)


def test_a_renamed_apps_old_name_is_refused_to_others_until_the_rename_is_over_and_then_comes_with_an_empty_repository(
    platform, tmp_path
):
    old = deploy_site(platform, tmp_path / "a", "team a's site\n")
    commit = git(tmp_path / "a", "rev-parse", "HEAD").stdout.strip()
    new = f"r{old[1:]}"
    # The rename starts web.1 under the new name and waits for its health check: with a 3 s
    # wait before the first attempt, the rename lasts that long at least.
    assert platform.api("PATCH", f"/api/apps/{old}", {"checks": {"wait": 3}})[0] == 200
    token_b, team_b = own_team(platform, "b")
    claimer = Claimer(platform, token_b, team_b, old)
    claimer.start()
    platform.wait_for("team B's first attempt", lambda: claimer.attempts, timeout=10)

    renaming = time.monotonic()
    status, body = platform.api("PATCH", f"/api/apps/{old}", {"name": new})
    assert status == 202 and body["renaming_to"] == new, body  # a job renames it
    platform.wait_for("the rename to be done", lambda: rename_done(platform, old, new), timeout=60)
    renamed = time.monotonic()
    claimer.join(timeout=60)
    claimer.halt.set()

    assert renamed - renaming > 3
    during = [a for a in claimer.attempts if renaming < a.sent and a.answered < renamed]
    assert len(during) >= 10, claimer.attempts
    assert all(a.status == 409 for a in during), during
    assert any("being given up by a rename or deletion in progress" in a.error for a in during), during
    won = claimer.attempts[-1]
    assert won.status == 201, claimer.attempts[-5:]
    assert all(a.status == 409 for a in claimer.attempts[:-1])
    assert won.sent > renamed
    # Between the rename's end and B's success, A's old processes were still stopping.
    assert any("still stopping" in a.error for a in claimer.attempts if a.sent > renamed), claimer.attempts

    clone_b = git(tmp_path, "clone", platform.git_url(old, token_b), "b-clone", check=False)
    assert clone_b.returncode == 0, clone_b.stderr
    assert git(tmp_path / "b-clone", "rev-list", "--all").stdout == ""
    assert git(tmp_path / "b-clone", "cat-file", "-e", commit, check=False).returncode != 0
    assert platform.get(old) == (404, f"No app is deployed at {old}.localhost.\n")

    git(tmp_path, "clone", platform.git_url(new), "a-clone")
    assert git(tmp_path / "a-clone", "rev-parse", "HEAD").stdout.strip() == commit
    assert platform.get(new) == (200, "team a's site\n")
