import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from runtime.processes import Process
from runtime.healthcheck import CheckSettings, NotReady, seconds_text, wait_until_ready



def _process(address: tuple[str, int] | None) -> Process:
    return Process(
        id="c0ffee", app="app", release=1, process_type="web", index=1, address=address, internal_address=address
    )


class Seen(list):
    """(path, Host, User-Agent) of each request, and in `headers` all of each one's headers."""

    def __init__(self):
        super().__init__()
        self.headers: list[dict[str, str]] = []


@pytest.fixture
def http_app():
    """A real HTTP server on 127.0.0.1 answering each path with the status it names: GET /500 -> 500."""
    seen = Seen()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, self.headers["Host"], self.headers["User-Agent"]))
            seen.headers.append(dict(self.headers))
            self.send_response(int(self.path.strip("/") or 200))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server.server_address, seen
    server.shutdown()
    server.server_close()


def _accept_then_close() -> socket.socket:
    """What docker-proxy does on a published port when nothing listens inside: accept, then close."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server


def _closed_port() -> tuple[str, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()


@pytest.mark.parametrize("status", [200, 204, 301, 302, 401, 403, 404, 499])
def test_the_default_http_check_passes_any_answer_below_500_and_sends_the_app_host(http_app, status):
    """Redirects to HTTPS and login pages are a healthy app's answers to a request for `/`."""
    address, seen = http_app
    check = CheckSettings(path=f"/{status}", timeout=1, attempts=1)

    wait_until_ready(_process(address), host="app.localhost", check=check, still_running=lambda: True)

    assert seen == [(f"/{status}", "app.localhost", "paas-healthcheck")]


@pytest.mark.parametrize("status", [200, 204, 302])
def test_a_strict_check_passes_on_2xx_or_3xx(http_app, status):
    address, seen = http_app
    check = CheckSettings(path=f"/{status}", timeout=1, attempts=1, passing_below=400)
    wait_until_ready(_process(address), host="app.localhost", check=check, still_running=lambda: True)
    assert len(seen) == 1


def test_a_strict_check_fails_on_404(http_app):
    address, _ = http_app
    check = CheckSettings(path="/404", timeout=1, attempts=2, interval=0.01, passing_below=400)
    with pytest.raises(NotReady, match=r"^failed its health check: GET /404 answered 404 \(2 attempts\)$"):
        wait_until_ready(_process(address), host="x", check=check, still_running=lambda: True)


def test_the_check_sends_the_headers_it_is_given_with_the_app_host_last(http_app):
    address, seen = http_app
    check = CheckSettings(path="/200", timeout=1, attempts=1)
    headers = {"X-Forwarded-Proto": "http", "X-Forwarded-Port": "8080", "Host": "not-this"}

    wait_until_ready(_process(address), host="app.localhost", check=check, still_running=lambda: True,
                     headers=headers)

    [sent] = seen.headers
    assert (sent["Host"], sent["X-Forwarded-Proto"], sent["X-Forwarded-Port"]) == ("app.localhost", "http", "8080")


def test_http_check_fails_on_an_error_status_naming_path_and_status(http_app):
    address, seen = http_app
    check = CheckSettings(path="/500", timeout=1, attempts=3, interval=0.01)

    with pytest.raises(NotReady, match=r"^failed its health check: GET /500 answered 500 \(3 attempts\)$"):
        wait_until_ready(_process(address), host="x", check=check, still_running=lambda: True)
    assert len(seen) == 3


def test_http_check_does_not_count_an_accepted_connection_without_an_answer():
    with _accept_then_close() as server:
        process = _process(server.getsockname())
        port = server.getsockname()[1]
        check = CheckSettings(path="/health", timeout=1, attempts=2, interval=0.01)
        pattern = rf"^did not answer on \$PORT={port} within 0\.\d s \(GET /health: .*; 2 attempts\)$"
        with pytest.raises(NotReady, match=pattern):
            wait_until_ready(process, host="x", check=check, still_running=lambda: True)


def test_a_process_that_never_listens_is_told_with_the_value_of_port_and_the_time_it_had():
    address = _closed_port()
    check = CheckSettings(path="/", timeout=1, attempts=3, interval=0.01)
    with pytest.raises(NotReady, match=rf"^did not answer on \$PORT={address[1]} within 0\.\d s \(GET /: "):
        wait_until_ready(_process(address), host="x", check=check, still_running=lambda: True)


TCP = CheckSettings(path="", timeout=1, attempts=3, interval=0.01)


def test_tcp_check_passes_once_the_port_accepts_connections():
    with _accept_then_close() as server:
        waited = wait_until_ready(_process(server.getsockname()), host="x", check=TCP, still_running=lambda: True)
    assert 0 <= waited < 1


def test_tcp_check_fails_on_a_closed_port_after_its_attempts():
    address = _closed_port()
    with pytest.raises(NotReady, match=rf"^did not accept connections on \$PORT={address[1]} within 0\.\d s \(3 attempts\)$"):
        wait_until_ready(_process(address), host="x", check=TCP, still_running=lambda: True)


def test_tcp_check_fails_when_the_process_has_no_address():
    with pytest.raises(NotReady, match="did not accept connections"):
        wait_until_ready(_process(None), host="x", check=TCP, still_running=lambda: True)


def test_waiting_stops_as_soon_as_the_process_exits():
    calls = []

    def still_running():
        calls.append(1)
        return len(calls) < 2

    with pytest.raises(NotReady, match=r"^exited before answering on \$PORT=\d+$"):
        wait_until_ready(
            _process(_closed_port()), host="x", check=CheckSettings(attempts=100, interval=0.01),
            still_running=still_running,
        )
    assert len(calls) == 2  # checked before each attempt, not only at the end


def test_the_wait_comes_before_the_first_attempt_and_counts_in_the_time_taken():
    with _accept_then_close() as server:
        check = CheckSettings(path="", wait=0.3, timeout=1, attempts=1)
        waited = wait_until_ready(_process(server.getsockname()), host="x", check=check, still_running=lambda: True)
    assert waited >= 0.3


def test_defaults_come_from_settings(settings):
    settings.PAAS_CHECK_WAIT, settings.PAAS_CHECK_TIMEOUT = 2, 3
    settings.PAAS_CHECK_ATTEMPTS, settings.PAAS_CHECK_INTERVAL = 4, 0.5
    settings.PAAS_CHECK_PATH = "/up"

    assert CheckSettings.defaults() == CheckSettings(path="/up", wait=2, timeout=3, attempts=4, interval=0.5)


def test_the_platform_default_is_an_http_check_of_root_passing_below_500():
    assert (CheckSettings().path, CheckSettings().passing_below) == ("/", 500)


@pytest.mark.parametrize("value, text", [(0.34, "0.3 s"), (9.94, "9.9 s"), (9.96, "10 s"), (10.0, "10 s"), (31.4, "31 s")])
def test_waits_are_told_in_tenths_below_ten_seconds_and_whole_seconds_from_ten(value, text):
    assert seconds_text(value) == text
