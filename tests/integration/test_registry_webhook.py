"""The registry webhook and the API that sets it up: tokens, bodies, which events deploy, and
that retried or reordered notifications never make a second (or an older) release."""
import io
import json
import socket

import django_rq
import pytest
from django.conf import settings

from activity.models import Activity
from applications.models import App, Release
from registry.deploys import pushed_image_deploy
from registry.models import ImageNotification, NotificationStatus
from registry.notifications import ENVELOPE_MEDIA_TYPE

REPOSITORY = "127.0.0.1:5000/shop"
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def digest(n: int) -> str:
    return f"sha256:{n:064x}"


def event(n: int = 1, *, at: str = "2026-01-02T03:04:05.000000001Z", action: str = "push", media_type: str = MANIFEST,
          repository: str = "shop", tag: str | None = "latest") -> dict:
    target = {"mediaType": media_type, "digest": digest(n), "repository": repository, "size": 527,
              "url": f"http://127.0.0.1:5000/v2/{repository}/manifests/{digest(n)}"}
    if tag is not None:
        target["tag"] = tag
    return {"id": f"event-{n}-{action}", "timestamp": at, "action": action, "target": target,
            "request": {"host": "127.0.0.1:5000", "method": "PUT"}}


@pytest.fixture
def shop(members, redis_server) -> App:
    app = App.objects.create(name="shop", team=members.team)
    return app


@pytest.fixture
def hook(client, members, shop) -> dict:
    """The shop tracks 127.0.0.1:5000/shop:latest; its webhook's url and token."""
    response = client.patch("/api/apps/shop", {"image_repository": REPOSITORY}, content_type="application/json",
                            **members.auth("admin"))
    assert response.status_code == 200, response.json()
    response = client.get("/api/apps/shop/registry-webhook", **members.auth("admin"))
    assert response.status_code == 200
    return with_path(response.json())


def with_path(webhook: dict) -> dict:
    """The webhook with the path of its URL, for the test client."""
    return {**webhook, "path": webhook["url"].removeprefix(f"http://{settings.PAAS_WEB_HOST}:{settings.PAAS_WEB_PORT}")}


@pytest.fixture
def deploy_queue(redis_server):
    queue = django_rq.get_queue(settings.PAAS_DEPLOY_QUEUE)
    queue.empty()
    yield queue
    queue.empty()


def notify(client, hook: dict, body, *, token: str | None = "HOOK", content_type: str = ENVELOPE_MEDIA_TYPE,
           query: str = ""):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {hook['token'] if token == 'HOOK' else token}"} if token else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(hook["path"] + query, data, content_type=content_type, **headers)


def test_a_manifest_push_of_the_tracked_tag_is_recorded_and_its_deploy_queued(
    client, hook, shop, deploy_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = notify(client, hook, {"events": [event(1)]})
    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "ignored": 0, "ignored_because": {}}
    notification = ImageNotification.objects.get(app=shop)
    assert (notification.digest, notification.repository, notification.tag, notification.status) == (
        digest(1), REPOSITORY, "latest", NotificationStatus.QUEUED)
    assert notification.reference == f"{REPOSITORY}@{digest(1)}"
    [job] = deploy_queue.get_jobs()
    assert (job.func_name, job.args) == ("registry.jobs.deploy_pushed_image", (notification.pk,))


def test_the_webhook_url_is_absolute_and_survives_a_rename(client, members, hook):
    assert hook["url"].startswith(f"http://{settings.PAAS_WEB_HOST}:{settings.PAAS_WEB_PORT}/hooks/registry/")
    assert "shop" not in hook["url"]
    App.objects.filter(name="shop").update(name="store")  # the rename's database part: the URL must not move
    again = client.get("/api/apps/store/registry-webhook", **members.auth("admin")).json()
    assert again == {"url": hook["url"], "token": hook["token"]}
    assert notify(client, hook, {"events": [event(1)]}).status_code == 202


def test_docker_hub_sends_the_token_as_a_query_parameter(client, hook, shop):
    body = {"push_data": {"tag": "latest", "pushed_at": 1767322800, "pusher": "someone"},
            "repository": {"repo_name": "shop", "name": "shop"}, "callback_url": "https://example.invalid/cb"}
    response = notify(client, hook, body, token=None, content_type="application/json", query=f"?token={hook['token']}")
    assert response.status_code == 202 and response.json()["accepted"] == 1
    notification = ImageNotification.objects.get(app=shop)
    assert notification.digest is None and notification.reference == f"{REPOSITORY}:latest"


@pytest.mark.parametrize("token, query", [
    (None, ""),
    ("whk_wrong", ""),
    (None, "?token=whk_wrong"),
    ("", "?token="),
])
def test_a_missing_or_wrong_token_is_401_and_records_nothing(client, hook, shop, token, query):
    response = notify(client, hook, {"events": [event(1)]}, token=token, query=query)
    assert response.status_code == 401 and "webhook token" in response.json()["error"]
    assert not ImageNotification.objects.exists()


def test_an_api_token_is_no_webhook_token(client, members, hook):
    response = notify(client, hook, {"events": [event(1)]}, token=members.tokens["admin"])
    assert response.status_code == 401


def test_an_unknown_hook_is_404_and_other_methods_405(client, hook):
    response = client.post("/hooks/registry/0123456789abcdef", "{}", content_type="application/json")
    assert response.status_code == 404 and "error" in response.json()
    response = client.get(hook["path"])
    assert response.status_code == 405 and response["Allow"] == "POST"


@pytest.mark.parametrize("body, message", [
    ("{not json", "not valid JSON"),
    ("", "not valid JSON"),
    ("[" * 100_000, "not valid JSON"),  # too deep for the parser
    ({"events": [{**event(1), "timestamp": "9999-12-31T23:59:59-14:00"}]}, "not an ISO 8601 time"),  # past year 9999 in UTC
    ([{"events": []}], "must be a JSON object"),
    ({"event": []}, "expected a Docker Registry notification envelope"),
    ({"events": "push"}, '"events" must be a list'),
    ({"events": [{"action": "push"}]}, "events[0].target is missing"),
    ({"events": [{**event(1), "timestamp": 12}]}, "events[0].timestamp must be a string"),
    ({"events": [event(1), {**event(2), "target": {**event(2)["target"], "digest": "latest"}}]}, "64 hex digits"),
    ({"push_data": {"tag": ["latest"]}, "repository": {"repo_name": "shop"}}, "push_data.tag must be a string"),
])
def test_malformed_bodies_get_a_400_saying_what_is_wrong(client, hook, shop, body, message):
    response = notify(client, hook, body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not ImageNotification.objects.exists()  # not even the valid first event of a bad envelope


def test_a_body_that_is_not_json_by_its_content_type_is_415(client, hook):
    response = notify(client, hook, "events=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and "send JSON" in response.json()["error"]


def test_pulls_blobs_other_repositories_and_other_tags_are_ignored(client, hook, shop):
    body = {"events": [
        event(1, action="pull"),  # the platform's own pull is notified too
        event(2, media_type="application/octet-stream", tag=None),  # a layer
        event(3, action="mount", media_type="application/octet-stream", tag=None),
        event(4, repository="other"),
        event(5, tag="v2"),
        event(6, tag=None),  # a manifest pushed by digest
    ]}
    response = notify(client, hook, body)
    assert response.status_code == 202
    assert response.json() == {"accepted": 0, "ignored": 6, "ignored_because": {
        "not a push": 2, "not a manifest (a layer or config blob)": 1, "another repository": 1, "another tag": 1,
        "pushed by digest, with no tag": 1}}
    assert not ImageNotification.objects.exists()


def test_a_retried_notification_makes_one_record(client, hook, shop):
    assert notify(client, hook, {"events": [event(1)]}).json()["accepted"] == 1
    again = notify(client, hook, {"events": [event(1, at="2026-01-02T03:09:00Z")]})
    assert again.status_code == 202
    assert again.json() == {"accepted": 0, "ignored": 1, "ignored_because": {"this image was already received": 1}}
    assert ImageNotification.objects.filter(app=shop).count() == 1


def test_an_older_push_that_arrives_late_is_ignored(client, hook, shop):
    newer = notify(client, hook, {"events": [event(2, at="2026-01-02T03:05:00Z")]})
    assert newer.json()["accepted"] == 1
    older = notify(client, hook, {"events": [event(1, at="2026-01-02T03:04:00Z")]})
    assert older.json() == {"accepted": 0, "ignored": 1, "ignored_because": {"older than the newest push accepted": 1}}
    statuses = dict(ImageNotification.objects.values_list("digest", "status"))
    assert statuses == {digest(2): NotificationStatus.QUEUED, digest(1): NotificationStatus.IGNORED}
    # Within one envelope too, whatever the order the registry batched them in.
    both = notify(client, hook, {"events": [event(4, at="2026-01-02T03:07:00Z"), event(3, at="2026-01-02T03:06:00Z")]})
    assert both.json()["accepted"] == 1
    assert ImageNotification.objects.get(digest=digest(3)).status == NotificationStatus.IGNORED


def test_a_stale_image_pushed_again_later_is_accepted_then(client, hook, shop):
    notify(client, hook, {"events": [event(2, at="2026-01-02T03:05:00Z")]})
    notify(client, hook, {"events": [event(1, at="2026-01-02T03:04:00Z")]})
    again = notify(client, hook, {"events": [event(1, at="2026-01-02T03:06:00Z")]})
    assert again.json()["accepted"] == 1
    assert ImageNotification.objects.get(digest=digest(1)).status == NotificationStatus.QUEUED


def test_rotating_the_token_refuses_the_old_one_at_once(client, members, hook, shop):
    response = client.post("/api/apps/shop/registry-webhook", **members.auth("admin"))
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["url"] == hook["url"] and rotated["token"] != hook["token"]
    assert notify(client, hook, {"events": [event(1)]}).status_code == 401
    assert notify(client, {**hook, "token": rotated["token"]}, {"events": [event(1)]}).status_code == 202
    assert client.get("/api/apps/shop/registry-webhook", **members.auth("admin")).json()["token"] == rotated["token"]
    assert Activity.objects.filter(app=shop, text="Rotated the registry webhook token").exists()


def test_the_token_is_stored_encrypted(hook, shop):
    from registry.models import TrackedImage

    assert hook["token"] not in TrackedImage.objects.get(app=shop).token_ciphertext


def test_an_app_that_stops_tracking_ignores_pushes(client, members, hook, shop):
    response = client.patch("/api/apps/shop", {"image_repository": None}, content_type="application/json",
                            **members.auth("admin"))
    assert response.status_code == 200
    assert (response.json()["image_repository"], response.json()["image_tag"]) == (None, None)
    answer = notify(client, hook, {"events": [event(1)]})
    assert answer.json()["ignored_because"] == {"the app tracks no image": 1}


def test_setting_the_tracked_image_shows_in_the_app_and_its_activity(client, members, shop):
    auth = members.auth("admin")
    body = client.patch("/api/apps/shop", {"image_repository": REPOSITORY, "image_tag": "stable"},
                        content_type="application/json", **auth).json()
    assert (body["image_repository"], body["image_tag"]) == (REPOSITORY, "stable")
    assert client.get("/api/apps/shop", **members.auth("viewer")).json()["image_tag"] == "stable"
    listed = client.get("/api/apps", **auth).json()
    assert [(a["image_repository"], a["image_tag"]) for a in listed] == [(REPOSITORY, "stable")]
    back = client.patch("/api/apps/shop", {"image_tag": None}, content_type="application/json", **auth).json()
    assert back["image_tag"] == "latest"
    texts = list(Activity.objects.filter(app=shop, verb="settings").values_list("text", flat=True))
    assert f"Deploys pushes of image {REPOSITORY}:stable" in texts and f"Deploys pushes of image {REPOSITORY}:latest" in texts


def test_the_apps_list_reads_tracked_images_in_its_own_query(client, members):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    auth = members.auth("admin")
    for name in ("one", "two"):
        App.objects.create(name=name, team=members.team)
    with CaptureQueriesContext(connection) as untracked:
        client.get("/api/apps", **auth)
    for name in ("one", "two"):
        client.patch(f"/api/apps/{name}", {"image_repository": f"127.0.0.1:5000/{name}"},
                     content_type="application/json", **auth)
    with CaptureQueriesContext(connection) as tracked:
        assert len(client.get("/api/apps", **auth).json()) == 2
    assert len(tracked.captured_queries) == len(untracked.captured_queries)


@pytest.mark.parametrize("body, message", [
    ({"image_repository": f"{REPOSITORY}:latest"}, "without a tag"),
    ({"image_repository": f"{REPOSITORY}@{digest(1)}"}, "without a digest"),
    ({"image_repository": "127.0.0.1:5000/Shop"}, "lowercase"),
    ({"image_repository": 5000}, "must be a repository"),
    ({"image_repository": ""}, "must be a repository"),
    ({"image_repository": REPOSITORY, "image_tag": "-latest"}, '"image_tag" must be a tag'),
    ({"image_repository": REPOSITORY, "image_tag": 1}, '"image_tag" must be a tag'),
    ({"image_tag": "latest"}, "tracks no image"),
    ({"image_repository": None, "image_tag": "v1"}, "tracks no image"),
])
def test_invalid_tracking_settings_are_a_400(client, members, shop, body, message):
    response = client.patch("/api/apps/shop", body, content_type="application/json", **members.auth("admin"))
    assert response.status_code == 400
    assert message in response.json()["error"]


@pytest.mark.parametrize("caller, status", [
    ("viewer", 403), ("developer", 403), ("operator", 403), ("outsider", 404), ("admin", 200),
])
def test_only_admins_see_or_rotate_the_webhook(client, members, shop, caller, status):
    assert client.get("/api/apps/shop/registry-webhook", **members.auth(caller)).status_code == status
    assert client.post("/api/apps/shop/registry-webhook", **members.auth(caller)).status_code == status
    response = client.patch("/api/apps/shop", {"image_repository": REPOSITORY}, content_type="application/json",
                            **members.auth(caller))
    assert response.status_code == status


# The job, up to the engine: what it decides before and after a pull.

def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when this returns: nothing listens there


def test_a_notification_superseded_before_its_pull_deploys_nothing(client, hook, shop):
    notify(client, hook, {"events": [event(1, at="2026-01-02T03:04:00Z"), event(2, at="2026-01-02T03:05:00Z")]})
    older = ImageNotification.objects.get(digest=digest(1))
    pushed_image_deploy(older.pk)
    older.refresh_from_db()
    assert (older.status, older.reason) == (NotificationStatus.IGNORED, "superseded by a newer push")
    assert not Release.objects.filter(app=shop).exists()
    pushed_image_deploy(older.pk)  # run twice (a retried job): still nothing
    assert not Release.objects.filter(app=shop).exists()


def test_a_failed_pull_is_recorded_with_the_engines_reason_and_deploys_nothing(client, members, shop, docker_engine):
    repository = f"127.0.0.1:{_closed_port()}/shop"
    client.patch("/api/apps/shop", {"image_repository": repository}, content_type="application/json",
                 **members.auth("admin"))
    hook = with_path(client.get("/api/apps/shop/registry-webhook", **members.auth("admin")).json())
    notify(client, hook, {"events": [event(1)]})
    notification = ImageNotification.objects.get(app=shop)
    pushed_image_deploy(notification.pk)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert f"could not pull {repository}@{digest(1)}" in notification.reason
    assert "connection refused" in notification.reason
    assert not Release.objects.filter(app=shop).exists()


def test_rotating_the_config_keys_re_encrypts_webhook_tokens(client, members, hook, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    new_key = Fernet.generate_key().decode()
    settings.PAAS_CONFIG_KEYS = [new_key, *settings.PAAS_CONFIG_KEYS]
    call_command("rotate_config_keys", stdout=io.StringIO())
    settings.PAAS_CONFIG_KEYS = [new_key]  # the old key dropped: the token must still be readable
    assert client.get("/api/apps/shop/registry-webhook", **members.auth("admin")).json()["token"] == hook["token"]
    assert notify(client, hook, {"events": [event(1)]}).status_code == 202


def test_a_retried_notification_queues_a_waiting_deploy_again(client, hook, shop, deploy_queue,
                                                              django_capture_on_commit_callbacks):
    # The first delivery's job never reached the queue (Redis refused it): the retry queues it.
    assert notify(client, hook, {"events": [event(1)]}).json()["accepted"] == 1
    assert deploy_queue.get_jobs() == []
    with django_capture_on_commit_callbacks(execute=True):
        again = notify(client, hook, {"events": [event(1)]})
    assert again.json()["ignored_because"] == {"this image was already received": 1}
    [job] = deploy_queue.get_jobs()
    assert job.args == (ImageNotification.objects.get(app=shop).pk,)


def test_a_push_accepted_before_the_tracked_image_changed_deploys_nothing(client, members, hook, shop):
    notify(client, hook, {"events": [event(1)]})
    client.patch("/api/apps/shop", {"image_repository": "127.0.0.1:5000/elsewhere"}, content_type="application/json",
                 **members.auth("admin"))
    notification = ImageNotification.objects.get(app=shop)
    pushed_image_deploy(notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.reason) == (
        NotificationStatus.IGNORED, "the app no longer tracks this repository and tag")
    assert not Release.objects.filter(app=shop).exists()


def test_a_delete_event_beside_a_push_does_not_hold_the_push_back(client, hook, shop):
    tag_delete = {"id": "d1", "timestamp": "2026-01-02T03:04:05Z", "action": "delete",
                  "target": {"repository": "shop", "tag": "old"}}
    response = notify(client, hook, {"events": [tag_delete, event(1)]})
    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "ignored": 1, "ignored_because": {"not a push": 1}}
