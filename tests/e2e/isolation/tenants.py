"""Two tenants for the isolation tests: users with a team of their own, and their apps."""
import socket
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.support import Platform, SourceTree


@dataclass
class Tenant:
    platform: Platform
    token: str
    team: str

    def new_app(self) -> str:
        name = f"i{uuid.uuid4().hex[:10]}"
        status, body = self.platform.api("POST", "/api/apps", {"name": name, "team": self.team}, token=self.token)
        assert status == 201, body
        return name

    def push(self, app: str, path: Path, files: dict[str, str]):
        source = SourceTree(path)
        source.write(files).commit()
        return source.push(self.platform.git_url(app, self.token))

    def api(self, method: str, path: str, body: dict | None = None):
        return self.platform.api(method, path, body, token=self.token)


def tenant(platform: Platform, prefix: str) -> Tenant:
    """A new user with an API token and a team they admin."""
    suffix = uuid.uuid4().hex[:8]
    token = platform.create_token(f"{prefix}{suffix}")
    team = f"{prefix}-{suffix}"
    status, body = platform.api("POST", "/api/teams", {"name": team}, token=token)
    assert status == 201, body
    return Tenant(platform, token, team)


class Listener(threading.Thread):
    """A TCP server on the host that counts the connections it accepts (and answers each with a
    line of HTTP), to show what did or did not reach it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(daemon=True)
        self.socket = socket.create_server((host, 0))
        self.port = self.socket.getsockname()[1]
        self.connections = 0

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nSECRET")

    def __enter__(self) -> "Listener":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.socket.close()
