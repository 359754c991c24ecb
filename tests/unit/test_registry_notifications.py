"""Reading registry webhooks (Registry v2 envelopes, Docker Hub) and image references."""
from datetime import datetime, timezone

import pytest

from paas.errors import UserError
from registry.notifications import (
    HUB_MEDIA_TYPE, NO_TAG, NOT_A_MANIFEST, NOT_A_PUSH, NOT_TRACKING, OTHER_REPOSITORY, OTHER_TAG, RegistryEvent,
    events_from, ignored_because,
)
from registry.references import repository_path, repository_problem

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
DIGEST = "sha256:" + "ab" * 32
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def _event(**target) -> dict:
    return {"id": "e1", "timestamp": "2026-01-02T03:04:05.123456789Z", "action": "push",
            "target": {"mediaType": MANIFEST, "digest": DIGEST, "repository": "shop", "tag": "latest", **target}}


def test_a_registry_envelope_gives_its_events_with_nanosecond_timestamps_kept_to_microseconds():
    [event] = events_from({"events": [_event()]}, received_at=NOW)
    assert event == RegistryEvent(action="push", media_type=MANIFEST, repository="shop", tag="latest", digest=DIGEST,
                                  pushed_at=datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc), event_id="e1")


def test_a_docker_hub_webhook_is_a_push_of_its_tag_with_no_digest():
    body = {"push_data": {"tag": "v2", "pushed_at": 1767322800}, "repository": {"repo_name": "user/shop"},
            "callback_url": "https://registry.hub.docker.com/u/user/shop/hook/x/"}
    [event] = events_from(body, received_at=NOW)
    assert (event.repository, event.tag, event.digest, event.media_type) == ("user/shop", "v2", None, HUB_MEDIA_TYPE)
    assert event.pushed_at == datetime.fromtimestamp(1767322800, tz=timezone.utc)
    [unstamped] = events_from({"push_data": {"tag": "v2"}, "repository": {"repo_name": "user/shop"}}, received_at=NOW)
    assert unstamped.pushed_at == NOW


@pytest.mark.parametrize("body, message", [
    ([], "must be a JSON object"),
    ({}, "expected a Docker Registry notification envelope"),
    ({"events": {}}, '"events" must be a list'),
    ({"events": [1]}, r"events\[0\] must be a JSON object"),
    ({"events": [{"action": "push", "timestamp": "2026-01-01T00:00:00Z"}]}, r"events\[0\].target is missing"),
    ({"events": [_event(digest=None)]}, r"events\[0\].target.digest is missing"),
    ({"events": [_event(digest="sha256:xyz")]}, "64 hex digits"),
    ({"events": [_event(tag=7)]}, r"target.tag must be a string"),
    ({"events": [{**_event(), "timestamp": "yesterday"}]}, "not an ISO 8601 time"),
    ({"events": [{**_event(), "action": True}]}, r"events\[0\].action must be a string"),
    ({"push_data": {"tag": "v1"}}, "the body.repository is missing"),
    ({"push_data": {"tag": 1}, "repository": {"repo_name": "u/s"}}, "push_data.tag must be a string"),
    ({"push_data": {"tag": "v1", "pushed_at": "now"}, "repository": {"repo_name": "u/s"}}, "unix seconds"),
    ({"push_data": {"tag": "v1", "pushed_at": 10**400}, "repository": {"repo_name": "u/s"}}, "unix seconds"),
    ({"events": [_event(digest=DIGEST + "\n")]}, "64 hex digits"),
    ({"push_data": {"tag": "latest\n"}, "repository": {"repo_name": "u/s"}}, "not an image tag"),
    ({"push_data": {"tag": "café"}, "repository": {"repo_name": "u/s"}}, "not an image tag"),
])
def test_malformed_bodies_are_refused_saying_what_is_wrong(body, message):
    with pytest.raises(UserError, match=message):
        events_from(body, received_at=NOW)


def test_deletes_and_pulls_are_read_as_ignorable_whatever_they_lack():
    tag_delete = {"id": "e2", "timestamp": "2026-01-02T03:04:05Z", "action": "delete",
                  "target": {"repository": "shop", "tag": "latest"}}
    bare_pull = {"action": "pull"}
    events = events_from({"events": [tag_delete, bare_pull, _event()]}, received_at=NOW)
    assert [ignored_because(event, repository_path="shop", tag="latest") for event in events] == [
        NOT_A_PUSH, NOT_A_PUSH, None,
    ]


def _ignored(**changes) -> str | None:
    fields = {"action": "push", "media_type": MANIFEST, "repository": "shop", "tag": "latest", "digest": DIGEST,
              "pushed_at": NOW, **changes}
    return ignored_because(RegistryEvent(**fields), repository_path="shop", tag="latest")


def test_only_a_manifest_push_of_the_tracked_repository_and_tag_counts():
    assert _ignored() is None
    assert _ignored(media_type="application/vnd.oci.image.index.v1+json") is None
    assert _ignored(media_type=HUB_MEDIA_TYPE, digest=None) is None
    assert _ignored(action="pull") == NOT_A_PUSH
    assert _ignored(action="mount") == NOT_A_PUSH
    assert _ignored(media_type="application/octet-stream", tag="") == NOT_A_MANIFEST
    assert _ignored(repository="other") == OTHER_REPOSITORY
    assert _ignored(tag="") == NO_TAG
    assert _ignored(tag="v2") == OTHER_TAG
    event = RegistryEvent("push", MANIFEST, "shop", "latest", DIGEST, NOW)
    assert ignored_because(event, repository_path="", tag="latest") == NOT_TRACKING


@pytest.mark.parametrize("repository, path", [
    ("127.0.0.1:5000/shop", "shop"),
    ("registry.example.com/team/shop", "team/shop"),
    ("localhost/shop", "shop"),
    ("user/shop", "user/shop"),  # Docker Hub: no host
    ("shop", "shop"),
])
def test_a_repository_path_is_the_name_without_the_registry_host(repository, path):
    assert repository_problem(repository) is None
    assert repository_path(repository) == path


@pytest.mark.parametrize("repository, message", [
    ("127.0.0.1:5000/shop:latest", "without a tag"),
    ("127.0.0.1:5000/shop@" + DIGEST, "without a digest"),
    ("shop:latest", "without a tag"),
    ("127.0.0.1:5000/Shop", "lowercase"),
    ("127.0.0.1:5000/shop/", "lowercase"),
    ("127.0.0.1:5000/-shop", "lowercase"),
    ("http://127.0.0.1:5000/shop", "lowercase"),
    ("a/" + "b" * 260, "at most 255"),
    ("127.0.0.1:5000/shop\n", "lowercase"),
])
def test_repositories_with_a_tag_a_digest_or_bad_characters_are_refused(repository, message):
    assert message in repository_problem(repository)
