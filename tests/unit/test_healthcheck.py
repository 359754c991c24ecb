import socket
import threading

import pytest

from runtime.healthcheck import NotReady, answers_http, wait_until_ready


def _server(reply: bytes) -> tuple[socket.socket, tuple[str, int]]:
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(1024)
                conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()


def test_any_http_answer_counts_as_ready():
    server, address = _server(b"HTTP/1.1 500 Oops\r\n\r\n")
    with server:
        assert answers_http(address, "app.localhost")


def test_a_listener_that_does_not_speak_http_is_not_ready():
    # What docker-proxy does for a container that is not listening: accept, then close.
    server, address = _server(b"")
    with server:
        assert not answers_http(address, "app.localhost")


def test_waiting_stops_when_the_process_exits():
    server, address = _server(b"")
    with server, pytest.raises(NotReady, match="exited before answering"):
        wait_until_ready(address, host="x", timeout=5, still_running=lambda: False)


def test_waiting_gives_up_after_the_timeout():
    server, address = _server(b"")
    with server, pytest.raises(NotReady, match="within 0.3s"):
        wait_until_ready(address, host="x", timeout=0.3, still_running=lambda: True)
