"""HTTPS clients for the tests and benches: connections to the router on 127.0.0.1 that ask for
a domain by SNI and Host (what `curl --resolve DOMAIN:PORT:127.0.0.1` does), verified with a
given CA, and a steady load over them."""
import datetime
import http.client
import select
import socket
import ssl
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def own_ca_and_leaf(names: list[x509.GeneralName], *, days: int = 20) -> tuple[str, str, str]:
    """(CA certificate, leaf certificate, leaf key) in PEM: a leaf for `names` from a CA of its
    own, as a company's CA would issue one, valid from an hour ago for `days`."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Company CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=days + 1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, str(names[0].value))])
    leaf = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(names), critical=False).sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    key = leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return ca.public_bytes(pem).decode(), leaf.public_bytes(pem).decode(), key


def client_context(ca_file) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca_file))
    context.check_hostname = True
    return context


class ResolvedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1:`port` as if `hostname` resolved there: SNI, certificate check and Host."""

    def __init__(self, hostname: str, port: int, ca_file, timeout: float = 10) -> None:
        super().__init__(hostname, port, timeout=timeout, context=client_context(ca_file))

    def connect(self) -> None:
        raw = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def https_get(hostname: str, port: int, ca_file, path: str = "/", headers=None) -> tuple[int, dict, str]:
    conn = ResolvedHTTPSConnection(hostname, port, ca_file)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def served_certificate(hostname: str, port: int) -> x509.Certificate | None:
    """The leaf the router shows for `hostname` (unverified), or None if it refuses the handshake."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=hostname) as tls:
                return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
    except (ssl.SSLError, OSError):
        return None


def closed_by_server(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle pooled connection was closed by the server (readable at EOF): checked
    before reusing it, as urllib3, browsers and curl do. nginx closes idle keep-alive
    connections when it reloads; a request in flight is never cut."""
    return conn.sock is None or bool(select.select([conn.sock], [], [], 0)[0])


# What a reused connection the server closed as the request went out raises (nothing was answered).
_CLOSED_UNDER_US = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class PooledLoad(threading.Thread):
    """Steady GETs on a keep-alive connection that `connect()` opens, counting every failed
    request (a connection error, a certificate the CA does not vouch for, an unexpected answer).
    The connection is reused as a pooling HTTP client reuses one: checked for the server's close
    first, and a GET the server closed a reused connection under before any answer is sent once
    more on a new one (RFC 9112 9.3.1.1; urllib3 and browsers do the same). Such retries are
    counted in `retried`; a failure on a new connection is a failure."""

    def __init__(self, connect, headers=None, expect=lambda status, body: status == 200) -> None:
        super().__init__(daemon=True)
        self.connect, self.headers, self.expect = connect, headers or {}, expect
        self.sent, self.reconnects, self.retried, self.failures, self.halt = 0, 0, 0, [], threading.Event()

    @classmethod
    def https(cls, hostname: str, port: int, ca_file, **kwargs) -> "PooledLoad":
        return cls(lambda: ResolvedHTTPSConnection(hostname, port, ca_file, timeout=5), **kwargs)

    @classmethod
    def http(cls, hostname: str, port: int, **kwargs) -> "PooledLoad":
        return cls(lambda: http.client.HTTPConnection("127.0.0.1", port, timeout=5), headers={"Host": hostname}, **kwargs)

    def _get(self, conn) -> tuple[int, str]:
        conn.request("GET", "/", headers=self.headers)
        response = conn.getresponse()
        return response.status, response.read().decode()

    def run(self) -> None:
        conn = None
        while not self.halt.is_set():
            try:
                if conn is not None and closed_by_server(conn):
                    conn.close()
                    conn, self.reconnects = None, self.reconnects + 1
                reused, conn = conn is not None, conn or self.connect()
                try:
                    status, body = self._get(conn)
                except _CLOSED_UNDER_US:
                    if not reused:
                        raise
                    conn.close()
                    conn, self.retried = self.connect(), self.retried + 1
                    status, body = self._get(conn)
                if not self.expect(status, body):
                    self.failures.append(f"{status} {body[:60]!r}")
            except (OSError, http.client.HTTPException) as error:
                self.failures.append(repr(error))
                conn = None
            self.sent += 1
            time.sleep(0.01)

    def finish(self) -> "PooledLoad":
        self.halt.set()
        self.join(10)
        return self
