"""The ACME client against a real ACME server: Debian's Pebble, its http-01 validation sent to a
small challenge server of the test's own on 127.0.0.1 that serves what `publish` put."""
import http.server
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID

from domains import acme_client
from tests.pebble import Pebble

HOST = "shop.example.test"
PREFIX = "/.well-known/acme-challenge/"


class ChallengeServer(http.server.ThreadingHTTPServer):
    """Answers /.well-known/acme-challenge/TOKEN from `published` (or 404 for all when `refuse`)."""

    def __init__(self) -> None:
        self.published: dict[str, str] = {}
        self.unpublished: list[str] = []
        self.refuse = False
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), ChallengeHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def publish(self, token: str, validation: str) -> None:
        self.published[token] = validation

    def unpublish(self, token: str) -> None:
        self.published.pop(token, None)
        self.unpublished.append(token)


class ChallengeHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        body = self.server.published.get(self.path.removeprefix(PREFIX))
        if self.server.refuse or not self.path.startswith(PREFIX) or body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def challenge_server():
    server = ChallengeServer()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def pebble(tmp_path_factory, challenge_server):
    running = Pebble.start(tmp_path_factory.mktemp("pebble"), challenge_server.server_port, validity_seconds=3600)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def account_key():
    return acme_client.new_account_key_pem()


@pytest.fixture(autouse=True)
def fresh(challenge_server):
    challenge_server.refuse = False
    challenge_server.unpublished.clear()
    challenge_server.requests.clear()


def issue(pebble, challenge_server, account_key, hostname=HOST, account_url=None):
    return acme_client.issue_certificate(
        directory=pebble.directory_url, account_key_pem=account_key, account_url=account_url,
        email="ops@example.test", ca_bundle=str(pebble.ca_bundle), hostname=hostname,
        publish=challenge_server.publish, unpublish=challenge_server.unpublish, timeout=30)


def test_a_certificate_for_the_name_chains_to_pebbles_root_and_matches_its_key(pebble, challenge_server, account_key):
    issued = issue(pebble, challenge_server, account_key)

    chain = x509.load_pem_x509_certificates(issued.chain_pem.encode())
    leaf = chain[0]
    names = leaf.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert names.get_values_for_type(x509.DNSName) == [HOST]
    # Each certificate is signed by the next, the last by the root Pebble made at this start.
    root = x509.load_pem_x509_certificate(pebble.issuing_roots_pem().encode())
    for certificate, issuer in zip(chain, chain[1:] + [root]):
        certificate.verify_directly_issued_by(issuer)
    key = serialization.load_pem_private_key(issued.key_pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key() == leaf.public_key()
    # The short validity the harness asked Pebble for (a renewal test's lever).
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).total_seconds() <= 3600 + 1
    assert issued.account_url.startswith("https://127.0.0.1:")
    assert "PRIVATE KEY" not in repr(issued)  # kept out of logs
    assert any(PREFIX in path for path in challenge_server.requests)
    assert challenge_server.unpublished and not challenge_server.published


def test_a_second_certificate_uses_the_same_account(pebble, challenge_server, account_key):
    first = issue(pebble, challenge_server, account_key, hostname="one.example.test")
    # Without the URL: the key finds its account again; with it: no registration at all.
    again = issue(pebble, challenge_server, account_key, hostname="two.example.test")
    known = issue(pebble, challenge_server, account_key, hostname="three.example.test", account_url=first.account_url)
    assert first.account_url == again.account_url == known.account_url
    assert len(challenge_server.unpublished) == 3 and not challenge_server.published


def test_a_name_whose_dns_fails_fails_saying_it_could_not_be_resolved(pebble, challenge_server, account_key):
    pebble.servfail("broken.example.test")
    try:
        with pytest.raises(acme_client.AcmeFailed) as failed:
            issue(pebble, challenge_server, account_key, hostname="broken.example.test")
    finally:
        pebble.clear_servfail("broken.example.test")
    assert "could not resolve" in str(failed.value) and "broken.example.test" in str(failed.value)
    assert "Traceback" not in str(failed.value) and "\n" not in str(failed.value)
    assert len(challenge_server.unpublished) == 1 and not challenge_server.published


def test_a_challenge_answered_404_fails_naming_the_challenge(pebble, challenge_server, account_key):
    challenge_server.refuse = True
    with pytest.raises(acme_client.AcmeFailed) as failed:
        issue(pebble, challenge_server, account_key, hostname="lost.example.test")
    message = str(failed.value)
    assert "/.well-known/acme-challenge/" in message and "404" in message, message
    assert len(challenge_server.unpublished) == 1 and not challenge_server.published


def test_an_unreachable_or_untrusted_server_fails_in_a_line(pebble, challenge_server, account_key, tmp_path):
    with pytest.raises(acme_client.AcmeFailed) as untrusted:
        acme_client.issue_certificate(
            directory=pebble.directory_url, account_key_pem=account_key, account_url=None, email="",
            ca_bundle=None, hostname=HOST, publish=challenge_server.publish, unpublish=challenge_server.unpublish)
    assert "not trusted" in str(untrusted.value)
    with pytest.raises(acme_client.AcmeFailed) as unreachable:
        acme_client.issue_certificate(
            directory="https://127.0.0.1:9/dir", account_key_pem=account_key, account_url=None, email="",
            ca_bundle=str(pebble.ca_bundle), hostname=HOST, publish=challenge_server.publish,
            unpublish=challenge_server.unpublish)
    assert "did not answer" in str(unreachable.value)
    assert not challenge_server.unpublished  # nothing was published


def test_a_renewal_within_the_authorizations_life_needs_no_new_challenge(pebble, challenge_server, account_key):
    first = issue(pebble, challenge_server, account_key, hostname="again.example.test")
    answered = len(challenge_server.unpublished)
    renewed = issue(pebble, challenge_server, account_key, hostname="again.example.test", account_url=first.account_url)
    # The server still holds the name's valid authorization (Let's Encrypt keeps one 30 days).
    assert len(challenge_server.unpublished) == answered
    leaf = x509.load_pem_x509_certificate(renewed.chain_pem.encode())
    assert leaf.serial_number != x509.load_pem_x509_certificate(first.chain_pem.encode()).serial_number
