"""Deploys from a real registry (Debian's docker-registry on 127.0.0.1) that notifies the platform:
`docker push` of the tracked tag makes exactly one live release; other tags, replayed and
reordered notifications and bad tokens make none."""
import shutil
import time
from datetime import datetime, timezone

import docker
import pytest

from tests.registry import envelope, registry_available, tracked_registry
from tests.support import require

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tracked(platform, tmp_path_factory):
    """An app tracking 127.0.0.1:PORT/APP:latest, and a registry on PORT that notifies its webhook."""
    require("docker-registry", registry_available(), "apt-get install docker-registry (make test does)")
    tmp = tmp_path_factory.mktemp("registry")
    try:
        with tracked_registry(platform, tmp) as state:
            yield state
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def first_deploy(tracked) -> str:
    """The tracked tag pushed once and live: its digest."""
    digest = tracked.build_and_push("latest", "from the registry v1")
    tracked.platform.wait_for("a release made by the push", tracked.releases, 60)
    release = tracked.platform.wait_release(tracked.app, 1)
    assert release["status"] == "live", release
    return digest


def test_a_push_of_the_tracked_tag_goes_live_once_and_other_tags_deploy_nothing(tracked, first_deploy):
    platform, app = tracked.platform, tracked.app
    [release] = tracked.releases()
    assert release["description"] == f"Deploy image {tracked.repository}@{first_deploy}"
    assert release["image"] == f"{tracked.repository}@{first_deploy}" and release["created_by"] is None
    platform.wait_for("the pushed page", lambda: platform.get(app) == (200, "from the registry v1"), 30)

    # The registry delivers an endpoint's events in order, so once the tracked tag's next push has
    # made its release, the untracked tag's push (before it) has been answered too.
    untracked = tracked.build_and_push("preview", "not for production")
    second = tracked.build_and_push("latest", "from the registry v2")
    platform.wait_for("a release made by the second push", lambda: len(tracked.releases()) >= 2, 60)
    assert platform.wait_release(app, 2)["status"] == "live"
    images = [r["image"] for r in tracked.releases()]
    assert images == [f"{tracked.repository}@{second}", f"{tracked.repository}@{first_deploy}"]
    assert all(untracked not in image for image in images)
    assert platform.get(app) == (200, "from the registry v2")

    # A rollback to an image release: the digest reference is still on the host.
    status, body = platform.api("POST", f"/api/apps/{app}/releases", {"release": 1})
    assert status == 201, body
    assert platform.wait_release(app, 3)["status"] == "live"
    assert platform.get(app) == (200, "from the registry v1")


def test_replayed_reordered_and_unauthenticated_notifications_deploy_nothing(tracked, first_deploy):
    platform, token = tracked.platform, tracked.hook["token"]
    before = len(tracked.releases())

    status, answer = tracked.notify(envelope(tracked, first_deploy, datetime.now(timezone.utc)), token=token)
    assert (status, answer["accepted"], answer["ignored_because"]) == (202, 0, {"this image was already received": 1})

    # An image pushed long ago (here under another tag, so the registry's own notification is
    # ignored) whose notification for the tracked tag comes after newer ones: stale.
    old = tracked.build_and_push("archive", "an old build")
    status, answer = tracked.notify(envelope(tracked, old, datetime(2000, 1, 1, tzinfo=timezone.utc)), token=token)
    assert (status, answer["accepted"], answer["ignored_because"]) == (202, 0, {"older than the newest push accepted": 1})

    status, answer = tracked.notify(envelope(tracked, old, datetime.now(timezone.utc)), token="whk_not-the-token")
    assert status == 401 and "webhook token" in answer["error"]
    status, _ = tracked.notify(envelope(tracked, old, datetime.now(timezone.utc)))
    assert status == 401

    # Docker Hub's form, token in the query: pulled by tag, it is the live push's digest again.
    hub = {"push_data": {"tag": "latest", "pushed_at": time.time()}, "repository": {"repo_name": tracked.name}}
    status, answer = tracked.notify(hub, query=f"?token={token}", content_type="application/json")
    assert (status, answer["accepted"]) == (202, 1), answer
    platform.wait_for("the Docker Hub notification's pull",
                      lambda: "already received: nothing to deploy" in tracked.platform_lines(), 60)
    assert len(tracked.releases()) == before


def test_the_backend_pulls_and_prunes_images_by_digest(tracked, first_deploy):
    from runtime.processes import BackendError
    from runtime.docker.containers import DockerContainers

    backend = DockerContainers()
    digest = tracked.build_and_push("prune-me", "pruned")
    reference = f"{tracked.repository}@{digest}"
    docker.from_env().images.remove(f"{tracked.repository}:prune-me")  # only the registry has it now
    assert not backend.image_exists(reference)
    assert backend.pull_image(tracked.repository, digest) == digest
    assert backend.image_exists(reference)
    assert backend.remove_image(reference)  # what pruning a release's image does
    assert not backend.image_exists(reference)
    assert backend.pull_image(tracked.repository, "prune-me") == digest  # by tag: the digest it has there
    with pytest.raises(BackendError, match="manifest unknown"):
        backend.pull_image(tracked.repository, "sha256:" + "0" * 64)
