"""A real registry (Debian's docker-registry on 127.0.0.1) that notifies an app's registry webhook:
`tracked_registry(platform, tmp)` makes an app that tracks 127.0.0.1:PORT/APP:latest, starts the
registry on PORT and yields a `TrackedApp` to build, push and notify with; shared by the
end-to-end tests and the benchmarks."""
import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import docker

from tests.support import free_port, static_site

REGISTRY_BINARY = "/usr/bin/docker-registry"
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ENVELOPE = "application/vnd.docker.distribution.events.v1+json"


@dataclass
class TrackedApp:
    platform: object
    app: str
    repository: str  # 127.0.0.1:PORT/APP
    hook: dict  # {"url", "token"}
    workdir: Path
    images: list[str] = field(default_factory=list)  # ids of the images built here (removed on exit)

    @property
    def name(self) -> str:
        return self.repository.split("/", 1)[1]

    def build(self, tag: str, text: str) -> str:
        """Build a busybox httpd image serving `text`, tagged repository:tag; its id."""
        client = docker.from_env()
        context = self.workdir / f"context-{len(self.images)}"
        context.mkdir()
        for name, content in static_site(text).items():
            (context / name).write_text(content)
        image, _ = client.images.build(path=str(context), tag=f"{self.repository}:{tag}", rm=True, pull=False)
        client.close()
        self.images.append(image.id)
        return image.id

    def push(self, tag: str) -> str:
        """Push repository:tag to the registry; its digest."""
        client = docker.from_env()
        pushed = None
        for progress in client.images.push(self.repository, tag=tag, stream=True, decode=True):
            assert "error" not in progress, progress
            pushed = progress.get("aux", {}).get("Digest") or pushed
        client.close()
        assert pushed, f"the push of {self.repository}:{tag} reported no digest"
        return pushed

    def build_and_push(self, tag: str, text: str) -> str:
        """Build a busybox httpd image serving `text`, push it as repository:tag; its digest."""
        self.build(tag, text)
        return self.push(tag)

    def releases(self) -> list[dict]:
        status, body = self.platform.api("GET", f"/api/apps/{self.app}/releases")
        assert status == 200, body
        return body

    def notify(self, body: dict, *, token: str | None = None, query: str = "",
               content_type: str = ENVELOPE) -> tuple[int, dict]:
        """POST to the webhook as a registry would (or Docker Hub, with `query`)."""
        headers = {"Content-Type": content_type}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.hook["url"] + query, data=json.dumps(body).encode(), method="POST",
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def platform_lines(self) -> str:
        request = urllib.request.Request(
            f"{self.platform.web_url}/api/apps/{self.app}/log-stream?lines=1000&source=platform",
            headers={"Authorization": f"Bearer {self.platform.admin_token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode()


def envelope(tracked: TrackedApp, digest: str, at: datetime, tag: str = "latest") -> dict:
    """A Registry v2 notification envelope of one manifest push of tracked's repository:tag."""
    return {"events": [{
        "id": f"replay-{digest[-8:]}-{at.timestamp()}",
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "action": "push",
        "target": {"mediaType": MANIFEST, "digest": digest, "repository": tracked.name, "tag": tag, "size": 527},
        "request": {"host": tracked.repository.split("/")[0], "method": "PUT"},
    }]}


def registry_config(tmp: Path, port: int, hook: dict) -> Path:
    """JSON is YAML too: the registry reads this as its config.yml."""
    config = {
        "version": "0.1",
        "log": {"level": "info", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(tmp / "data")}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": "tests-only"},
        "notifications": {"endpoints": [{
            "name": "paas",
            "url": hook["url"],
            "headers": {"Authorization": [f"Bearer {hook['token']}"]},
            # Deliveries are retried after `backoff` once `threshold` in a row failed.
            "timeout": "3s",
            "threshold": 3,
            "backoff": "1s",
        }]},
    }
    path = tmp / "config.yml"
    path.write_text(json.dumps(config, indent=2))
    return path


def registry_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def registry_available() -> bool:
    return Path(REGISTRY_BINARY).exists()


@contextmanager
def tracked_registry(platform, tmp: Path) -> Iterator[TrackedApp]:
    """An app tracking 127.0.0.1:PORT/APP:latest, and a registry on PORT (data, config and log in
    `tmp`) that notifies its webhook. On exit: the app deleted, the registry stopped, the images
    built through the TrackedApp removed."""
    port = free_port()
    app = platform.new_app()
    repository = f"127.0.0.1:{port}/{app}"
    status, body = platform.api("PATCH", f"/api/apps/{app}", {"image_repository": repository})
    assert status == 200 and body["image_repository"] == repository and body["image_tag"] == "latest", body
    status, hook = platform.api("GET", f"/api/apps/{app}/registry-webhook")
    assert status == 200, hook
    log = (tmp / "registry.log").open("w")
    registry = subprocess.Popen([REGISTRY_BINARY, "serve", str(registry_config(tmp, port, hook))],
                                stdout=log, stderr=subprocess.STDOUT)
    state = TrackedApp(platform, app, repository, hook, tmp)
    try:
        platform.wait_for("the registry to answer", lambda: registry.poll() is None and registry_answers(port), 30)
        yield state
    finally:
        platform.api("DELETE", f"/api/apps/{app}")  # its containers and its releases' images
        # A job deletes it; its containers must be gone before the images below can go.
        platform.wait_for("the app to be deleted", lambda: platform.api("GET", f"/api/apps/{app}")[0] == 404, 30)
        registry.terminate()
        registry.wait(10)
        log.close()
        client = docker.from_env()
        for image_id in state.images:
            try:
                client.images.remove(image_id, force=True)  # every tag and digest of it
            except docker.errors.ImageNotFound:
                pass
        client.close()
