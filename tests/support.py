"""Shared test helpers: real prerequisites, the local base image, a platform instance, git."""
import base64
import hashlib
import http.client
import io
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BASE_IMAGE = "paas-test/busybox:1"


def require(what: str, available: bool, hint: str) -> None:
    """Missing Docker, Redis or nginx fails the run under CI=true and skips elsewhere."""
    if available:
        return
    message = f"{what} is not available: {hint}"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def docker_available() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0 if shutil.which("docker") else False


def redis_available(url: str) -> bool:
    """Whether the Redis at `url` answers, authenticated as the URL says."""
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=1) as client:
            return client.ping()
    except redis.RedisError:
        return False


def nginx_available() -> bool:
    return Path("/usr/sbin/nginx").exists()


def ensure_base_image() -> str:
    """A tiny local base image (busybox-static), imported once per machine: no registry here."""
    if subprocess.run(["docker", "image", "inspect", BASE_IMAGE], capture_output=True).returncode == 0:
        return BASE_IMAGE
    busybox = Path("/bin/busybox")
    require("busybox-static", busybox.exists(), "apt-get install busybox-static (make test does)")
    with tempfile.TemporaryDirectory() as rootfs:
        root = Path(rootfs)
        for directory in ("bin", "tmp", "www"):
            (root / directory).mkdir()
        shutil.copy(busybox, root / "bin" / "busybox")
        applets = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True).stdout.split()
        for applet in applets:
            if applet != "busybox":
                (root / "bin" / applet).symlink_to("busybox")
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(["docker", "import", "-", BASE_IMAGE], stdin=tar.stdout, check=True, capture_output=True)
        tar.wait()
    return BASE_IMAGE


def nat_rules() -> str:
    """The kernel's nat table as `iptables -S` prints it (where the router's endpoints live)."""
    return subprocess.run(["iptables", "-t", "nat", "-S"], capture_output=True, text=True, check=True).stdout


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_route_port_base() -> int:
    """A PAAS_ROUTE_PORT_BASE whose 1000 ports no platform instance's rules on this host use yet."""
    used = {int(port) // 1000 * 1000 for port in re.findall(r"^-A PAAS-\S+ .*--dport (\d+)", nat_rules(), re.MULTILINE)}
    # The router's maintenance server listens on the base port itself, the activator on the next
    # one: a leftover router or activator holds them.
    free = [base for base in range(41000, 60000, 1000) if base not in used and _bindable(base) and _bindable(base + 1)]
    assert free, "every route port range is taken: remove stale PAAS-* chains (iptables -t nat -S)"
    return random.choice(free)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Platform:
    """A running platform instance started by the tests, with its own ports and var dir."""

    env: dict[str, str]
    var_dir: Path
    web_url: str
    router_port: int
    admin_token: str
    instance: str
    _apps: list[str] = field(default_factory=list)

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args], env=self.env, capture_output=True, text=True, timeout=120
        )

    def create_token(self, username: str) -> str:
        result = self.manage("create_token", username)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def api(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, object]:
        request = urllib.request.Request(
            self.web_url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {token or self.admin_token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def new_app(self) -> str:
        name = f"t{uuid.uuid4().hex[:10]}"
        # The team named: tests may add teams the admin belongs to.
        status, body = self.api("POST", "/api/apps", {"name": name, "team": "default"})
        assert status == 201, body
        return name

    def git_url(self, app: str, token: str | None = None) -> str:
        host = self.web_url.removeprefix("http://")
        return f"http://git:{token or self.admin_token}@{host}/git/{app}.git"

    def get(self, app: str, path: str = "/") -> tuple[int, str]:
        """Request through the router, as a browser would with app.localhost."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.router_port}{path}", headers={"Host": f"{app}.localhost"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


    def log_text(self, app: str, lines: int = 200) -> str:
        """The app's recent log stream, as `heroku logs` shows it; "" while no app has that name."""
        request = urllib.request.Request(f"{self.web_url}/api/apps/{app}/log-stream?lines={lines}",
                                         headers={"Authorization": f"Bearer {self.admin_token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.read().decode()
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return ""
            raise

    def wait_for(self, what: str, predicate, timeout: float = 60):
        """Poll `predicate` until it returns something truthy; fail naming `what` after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            assert time.monotonic() < deadline, f"timed out after {timeout:g}s waiting for {what}"
            time.sleep(0.2)

    def release(self, app: str, version: int) -> dict:
        status, body = self.api("GET", f"/api/apps/{app}/releases/{version}")
        assert status == 200, body
        return body

    def wait_release(self, app: str, version: int, timeout: float = 90) -> dict:
        """The release once its rollout has finished (live, failed or retired)."""
        return self.wait_for(
            f"v{version} of {app} to finish rolling out",
            lambda: (r := self.release(app, version))["status"] not in ("pending", "deploying") and r,
            timeout,
        )

    def containers(self, app: str, *, process_type: str | None = None) -> list[str]:
        """Ids of the app's running containers (optionally of one process type)."""
        filters = ["--filter", f"label=io.paas.instance={self.instance}", "--filter", f"label=io.paas.app={app}"]
        if process_type:
            filters += ["--filter", f"label=io.paas.process={process_type}"]
        result = subprocess.run(["docker", "ps", "-q", *filters], capture_output=True, text=True, check=True)
        return result.stdout.split()


def start_platform(tmp: Path, **overrides: str) -> Platform:
    """A platform instance of its own; `overrides` are environment settings (PAAS_*) to change."""
    instance = f"t{uuid.uuid4().hex[:8]}"
    web_port, router_port = free_port(), int(overrides.get("PAAS_ROUTER_PORT") or free_port())
    # SQLite under its var dir and the install's Redis, unless `overrides` name others (a test's own Redis).
    inherited = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL")}
    env = {
        **inherited,
        "PAAS_VAR_DIR": str(tmp / "var"),
        "PAAS_INSTANCE": instance,
        "PAAS_WEB_PORT": str(web_port),
        "PAAS_ROUTER_PORT": str(router_port),
        "PAAS_ROUTER_TLS_PORT": str(free_port()),
        # No ACME server unless a test starts one (Pebble): these machines reach no internet.
        "PAAS_ACME_DIRECTORY": "",
        "PAAS_CERTIFICATES_INTERVAL": "0.5",
        "PAAS_ACME_RETRY_SECONDS": "1",
        # Apps' stable endpoints: a port range apart from `make up`'s (40000) and other runs'.
        "PAAS_ROUTE_PORT_BASE": str(free_route_port_base()),
        # The install's Redis, with its password (settings), in a database of the e2e tests' own.
        "PAAS_REDIS_DB": "14",
        "PAAS_DRAIN_SECONDS": "1",
        "PAAS_STOP_TIMEOUT": "2",
        "PAAS_CHECK_TIMEOUT": "2",
        "PAAS_CHECK_ATTEMPTS": "40",
        "PAAS_CHECK_INTERVAL": "0.25",
        "PAAS_RECONCILE_INTERVAL": "0.5",
        # Autoscaling reacts within seconds, so its tests take seconds (rules are per app).
        "PAAS_AUTOSCALE_UP_SECONDS": "2",
        "PAAS_AUTOSCALE_DOWN_SECONDS": "4",
        "PAAS_AUTOSCALE_INTERVAL": "0.5",
        # A short backlog, so the slow-viewer test overflows it with a modest burst of lines.
        "PAAS_VIEWER_BACKLOG": "16",
        # The tests' Dockerfiles start FROM the imported busybox image, an install's own base image.
        "PAAS_BUILD_BASE_IMAGES": "paas-base/*,paas-test/*",
        **overrides,
    }
    platform = Platform(env, tmp / "var", f"http://127.0.0.1:{web_port}", router_port, "", instance)
    for args in (("migrate", "--noinput", "-v0"), ("platform_up",)):
        result = platform.manage(*args)
        assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    platform.admin_token = (platform.var_dir / "admin.token").read_text().strip()
    return platform


def stop_platform(platform: Platform) -> None:
    platform.manage("platform_down")
    label = f"label=io.paas.instance={platform.instance}"
    ids = subprocess.run(["docker", "ps", "-aq", "--filter", label], capture_output=True, text=True).stdout.split()
    if ids:
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True)
    networks = subprocess.run(["docker", "network", "ls", "-q", "--filter", label], capture_output=True, text=True).stdout.split()
    if networks:
        subprocess.run(["docker", "network", "rm", *networks], capture_output=True)
    images = subprocess.run(
        ["docker", "images", "-q", "--filter", f"reference=paas-{platform.instance}/*"], capture_output=True, text=True
    ).stdout.split()
    if images:
        subprocess.run(["docker", "rmi", "-f", *set(images)], capture_output=True)


@dataclass
class Push:
    returncode: int
    output: str


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, f"git {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


class SourceTree:
    """A local git repository holding a small app to push."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q", "-b", "main")

    def write(self, files: dict[str, str]) -> "SourceTree":
        for name, text in files.items():
            (self.path / name).parent.mkdir(parents=True, exist_ok=True)
            (self.path / name).write_text(text)
        return self

    def commit(self, message: str = "change") -> str:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.path, "rev-parse", "HEAD").stdout.strip()

    def push(self, url: str, *refspec: str) -> Push:
        result = git(self.path, "push", url, *(refspec or ("main",)), check=False)
        return Push(result.returncode, result.stdout + result.stderr)


def deploy_site(platform: Platform, path: Path, text: str, app: str | None = None) -> str:
    """A static site serving `text`, pushed to `app` (a new app if None) and live; the app's name."""
    app = app or platform.new_app()
    source = SourceTree(path)
    source.write(static_site(text)).commit()
    push = source.push(platform.git_url(app))
    assert push.returncode == 0, push.output
    return app


def static_site(text: str, base: str = BASE_IMAGE) -> dict[str, str]:
    """A Dockerfile app: busybox httpd serving index.html on $PORT."""
    return {
        "Dockerfile": f"FROM {base}\nCOPY index.html /www/\nCMD exec httpd -f -p $PORT -h /www\n",
        "index.html": text,
    }


class Load(threading.Thread):
    """Steady GETs through the router on a keep-alive connection, counting failures."""

    def __init__(self, platform, app: str, expected: str, path: str = "/") -> None:
        super().__init__(daemon=True)
        self.platform, self.host, self.expected, self.path = platform, f"{app}.localhost", expected, path
        self.sent, self.failures, self.halt = 0, [], threading.Event()

    def run(self) -> None:
        conn = None
        while not self.halt.is_set():
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", self.platform.router_port, timeout=5)
                conn.request("GET", self.path, headers={"Host": self.host})
                response = conn.getresponse()
                body = response.read().decode()
                if (response.status, body) != (200, self.expected):
                    self.failures.append(f"{response.status} {body[:40]!r}")
            except (OSError, http.client.HTTPException) as error:
                self.failures.append(repr(error))
                conn = None
            self.sent += 1
            time.sleep(0.01)

    def finish(self) -> "Load":
        self.halt.set()
        self.join(10)
        return self


def _wheel(name: str, version: str, module: str) -> tuple[str, bytes]:
    """A pure-Python wheel, written by hand: a private index here has no build tools."""
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": module,
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)
    return f"{name}-{version}-py3-none-any.whl", buffer.getvalue()


def tar_bytes(files: dict[str, str | bytes]) -> bytes:
    """A tar archive of these files (text is UTF-8), as git archive or put_archive takes it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, data in files.items():
            data = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def source_archive(directory: Path, files: dict[str, str]):
    """A build's source archive (builds.source.SourceArchive) holding these files at its root."""
    from builds.source import SourceArchive

    path = directory / "source.tar"
    path.write_bytes(tar_bytes(files))
    return SourceArchive(path)


class PackageIndex:
    """A private Python package index (PEP 503 pages and one wheel, `greeting`) on a test host of
    its own: busybox httpd in a network namespace joined to this host by a veth pair, as an index
    on another machine would be. Build steps reach it through the host's routing (their own
    network has no route to containers of other networks, nor to the host itself)."""

    WORDS = "hello from the private index"

    def __init__(self, instance: str) -> None:
        self.instance = instance
        self.namespace = f"paas-idx-{uuid.uuid4().hex[:8]}"
        self.host_side = f"vi{self.namespace[-8:]}"
        subnet = random.randrange(1, 250)  # 10.199.N.0/30: outside PAAS_NETWORK_POOL's default
        self.gateway, self.address = f"10.199.{subnet}.1", f"10.199.{subnet}.2"
        self.url = f"http://{self.address}:8000/simple/"

    def __enter__(self) -> "PackageIndex":
        self.root = Path(tempfile.mkdtemp(prefix="paas-index-"))
        wheel_name, wheel = _wheel("greeting", "1.0", f'WORDS = "{self.WORDS}"\n')
        (self.root / "simple" / "greeting").mkdir(parents=True)
        (self.root / "simple" / "greeting" / "index.html").write_text(
            f'<html><body><a href="/{wheel_name}">{wheel_name}</a></body></html>\n'
        )
        (self.root / wheel_name).write_bytes(wheel)
        inside = f"vn{self.namespace[-8:]}"
        for command in (
            ["ip", "netns", "add", self.namespace],
            ["ip", "link", "add", self.host_side, "type", "veth", "peer", "name", inside, "netns", self.namespace],
            ["ip", "addr", "add", f"{self.gateway}/30", "dev", self.host_side],
            ["ip", "link", "set", self.host_side, "up"],
            ["ip", "-n", self.namespace, "addr", "add", f"{self.address}/30", "dev", inside],
            ["ip", "-n", self.namespace, "link", "set", inside, "up"],
            ["ip", "-n", self.namespace, "link", "set", "lo", "up"],
        ):
            subprocess.run(command, check=True, capture_output=True)
        self.server = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, "busybox", "httpd", "-f", "-p", f"{self.address}:8000", "-h", str(self.root)]
        )
        return self

    def build_config(self) -> dict[str, str]:
        """The config vars that point pip at it (plain HTTP, so pip must be told to trust it)."""
        return {"PIP_INDEX_URL": self.url, "PIP_TRUSTED_HOST": self.address}

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait(timeout=10)

    def __exit__(self, *exc) -> None:
        if self.server.poll() is None:
            self.stop()
        subprocess.run(["ip", "netns", "delete", self.namespace], capture_output=True)  # takes the veth pair along
        shutil.rmtree(self.root, ignore_errors=True)


GREETING_APP = """\
import http.server
import os

import greeting


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{greeting.WORDS} ({VERSION})\\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


VERSION = "%s"
http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), Page).serve_forever()
"""


def python_greeting_app(version: str) -> dict[str, str]:
    """A Python app for the Python buildpack (no Dockerfile) that needs `greeting` from a
    PackageIndex and serves "WORDS (version)"."""
    return {"requirements.txt": "greeting==1.0\n", "Procfile": "web: python app.py\n", "app.py": GREETING_APP % version}
