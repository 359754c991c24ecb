"""Custom domains with automatic HTTPS, end to end against a real ACME server: Debian's Pebble
(Let's Encrypt's test server) validates the http-01 challenges on the router's HTTP port, and
the platform's certificate manager, workers, router (nginx) and engine do the rest. Clients
connect to 127.0.0.1 asking for the domain by SNI and Host (curl's --resolve), trusting only
Pebble's issuing root, or the test's own CA for an uploaded certificate."""
import datetime
import http.client
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from cryptography import x509

from tests.e2e.test_health_and_headers import HEADERS_CGI, cgi_app, seen_headers
from tests.pebble import Pebble
from tests.support import SourceTree, free_port, nginx_available, require, start_platform, stop_platform
from tests.tls import PooledLoad, https_get, own_ca_and_leaf, served_certificate

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def acme(redis_server, docker_engine, base_image):
    """A platform of its own whose certificates come from a Pebble started for it: Pebble's
    challenge validation must know the router's HTTP port before the platform starts. Its var/
    sits where nginx's workers (nobody) may pass to the challenge files, as under `make up`'s
    checkout (pytest's base temp is 0700)."""
    require("nginx", nginx_available(), "apt-get install nginx-light (make test does)")
    work = Path(tempfile.mkdtemp(prefix="paas-acme-"))
    work.chmod(0o711)
    router_port = free_port()
    pebble = Pebble.start(work / "pebble", router_port)
    platform = start_platform(work, PAAS_ROUTER_PORT=str(router_port), PAAS_ACME_DIRECTORY=pebble.directory_url,
                              PAAS_ACME_CA_BUNDLE=str(pebble.ca_bundle), PAAS_ACME_EMAIL="ops@example.test")
    roots = work / "pebble-roots.pem"
    roots.write_text(pebble.issuing_roots_pem())
    yield platform, pebble, roots
    stop_platform(platform)
    pebble.stop()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def app(acme, tmp_path_factory):
    """An app that answers every path with the headers it was sent (busybox httpd's CGI)."""
    platform, _, _ = acme
    name = platform.new_app()
    source = SourceTree(Path(tmp_path_factory.mktemp("src")))
    source.write(cgi_app(HEADERS_CGI)).commit()
    push = source.push(platform.git_url(name))
    assert push.returncode == 0, push.output
    return name


def tls_port(platform) -> int:
    return int(platform.env["PAAS_ROUTER_TLS_PORT"])


def plain_get(platform, hostname: str, path: str = "/") -> tuple[int, dict, str]:
    conn = http.client.HTTPConnection("127.0.0.1", platform.router_port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": hostname})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def certificate_of(platform, app: str, hostname: str) -> dict:
    status, body = platform.api("GET", f"/api/apps/{app}/domains/{hostname}")
    assert status == 200, body
    return body["certificate"]


def issued(platform, app: str, hostname: str, timeout: float = 90) -> dict:
    return platform.wait_for(f"a certificate for {hostname}",
                             lambda: (c := certificate_of(platform, app, hostname))["status"] == "issued" and c, timeout)


def serving_https(platform, hostname: str, ca_file, timeout: float = 30):
    def answered():
        try:
            return https_get(hostname, tls_port(platform), ca_file)
        except OSError:
            return None
    return platform.wait_for(f"https://{hostname} to answer", answered, timeout)


def added(platform, app: str, hostname: str) -> dict:
    status, body = platform.api("POST", f"/api/apps/{app}/domains", {"hostname": hostname})
    assert status == 201, body
    return body


def test_a_domain_gets_a_certificate_from_the_acme_server_and_serves_the_app_over_https(acme, app):
    platform, _, roots = acme
    load = PooledLoad.http(f"{app}.localhost", platform.router_port)
    load.start()
    body = added(platform, app, "shop.example.test")
    assert body["hostname"] == "shop.example.test" and body["certificate"]["status"] == "pending"
    assert body["cname"] == f"{app}.localhost"

    certificate = issued(platform, app, "shop.example.test")
    status, headers, page = serving_https(platform, "shop.example.test", roots)
    load.finish()
    assert status == 200, page
    seen = seen_headers(page)
    assert seen["Host"] == "shop.example.test"
    assert (seen["X-Forwarded-Proto"], seen["X-Forwarded-Port"]) == ("https", str(tls_port(platform)))
    assert seen["X-Forwarded-For"] == "127.0.0.1" and seen["X-Request-Id"]
    assert "Strict-Transport-Security" not in headers  # HSTS is off by default
    # curl, as the users would check it.
    curl = subprocess.run(["curl", "-sS", "--fail", "--resolve", f"shop.example.test:{tls_port(platform)}:127.0.0.1",
                           "--cacert", str(roots), f"https://shop.example.test:{tls_port(platform)}/curl/"],
                          capture_output=True, text=True, timeout=30)
    assert curl.returncode == 0 and "HTTP_HOST=shop.example.test" in curl.stdout, curl.stderr
    # What the API says of it: Pebble's issuer and a future expiry.
    assert certificate["source"] == "acme" and "Pebble" in certificate["issuer"]
    assert datetime.datetime.fromisoformat(certificate["expires_at"]) > datetime.datetime.now(datetime.UTC)
    # Plain HTTP still serves it, and the app's own name too; adding the domain dropped nothing.
    assert plain_get(platform, "shop.example.test")[0] == 200
    assert load.sent > 0 and load.failures == [], load.failures
    # A name without a certificate gets its handshake refused, not another name's certificate.
    assert served_certificate(f"{app}.localhost", tls_port(platform)) is None


def test_http_is_redirected_to_https_when_the_app_asks_and_hsts_is_sent_when_asked(acme, app):
    platform, _, roots = acme
    added(platform, app, "redirect.example.test")
    issued(platform, app, "redirect.example.test")
    serving_https(platform, "redirect.example.test", roots)
    status, body = platform.api("PATCH", f"/api/apps/{app}", {"redirect_https": True, "hsts": True})
    assert status == 202 and body["redirect_https"] is True and body["hsts"] is True, body

    def redirected():
        status, headers, _ = plain_get(platform, "redirect.example.test", "/a/b?c=1")
        return status == 308 and headers
    headers = platform.wait_for("the 308 to https", redirected)
    assert headers["Location"] == f"https://redirect.example.test:{tls_port(platform)}/a/b?c=1"
    status, headers, _ = https_get("redirect.example.test", tls_port(platform), roots)
    assert status == 200 and headers["Strict-Transport-Security"] == "max-age=31536000"
    # The app's default name has no certificate: still served over plain HTTP.
    assert plain_get(platform, f"{app}.localhost")[0] == 200

    status, _ = platform.api("PATCH", f"/api/apps/{app}", {"redirect_https": False, "hsts": False})
    assert status == 202
    platform.wait_for("plain HTTP again", lambda: plain_get(platform, "redirect.example.test")[0] == 200)
    status, body = platform.api("PATCH", f"/api/apps/{app}", {"redirect_https": "yes"})
    assert status == 400 and "true or false" in body["error"], body


def test_a_failed_issuance_keeps_http_serving_and_is_retried_until_it_succeeds(acme, app):
    platform, pebble, roots = acme
    pebble.servfail("broken.example.test")
    try:
        added(platform, app, "broken.example.test")
        failed = platform.wait_for("the issuance to fail", lambda: (
            c := certificate_of(platform, app, "broken.example.test"))["status"] == "failed" and c, 90)
        assert "could not resolve" in failed["reason"] and "broken.example.test" in failed["reason"], failed
        # The domain is served over plain HTTP meanwhile.
        platform.wait_for("plain HTTP for the domain",
                          lambda: plain_get(platform, "broken.example.test")[0] == 200)
        assert served_certificate("broken.example.test", tls_port(platform)) is None
    finally:
        pebble.clear_servfail("broken.example.test")
    issued(platform, app, "broken.example.test")  # the back-off's next try
    status, _, _ = serving_https(platform, "broken.example.test", roots)
    assert status == 200


def test_a_renewal_replaces_the_certificate_without_a_dropped_request(acme, app):
    platform, _, roots = acme
    added(platform, app, "renew.example.test")
    issued(platform, app, "renew.example.test")
    serving_https(platform, "renew.example.test", roots)
    before = served_certificate("renew.example.test", tls_port(platform))
    loads = [PooledLoad.https("renew.example.test", tls_port(platform), roots),
             PooledLoad.http(f"{app}.localhost", platform.router_port)]
    for load in loads:
        load.start()
    # Heroku's `certs:auto:refresh`: renew now, as the manager does within the renewal window.
    status, body = platform.api("POST", f"/api/apps/{app}/domains/renew.example.test/certificate/renewal")
    assert status == 202, body
    platform.wait_for("the renewed certificate to be served", lambda: (
        (c := served_certificate("renew.example.test", tls_port(platform))) is not None
        and c.serial_number != before.serial_number), 90)
    for load in loads:
        load.finish()
    for load in loads:
        assert load.sent > 50 and load.failures == [], load.failures
    assert certificate_of(platform, app, "renew.example.test")["status"] == "issued"


def test_removing_a_domain_stops_serving_it(acme, app):
    platform, _, roots = acme
    added(platform, app, "gone.example.test")
    issued(platform, app, "gone.example.test")
    serving_https(platform, "gone.example.test", roots)
    load = PooledLoad.http(f"{app}.localhost", platform.router_port)
    load.start()
    status, _ = platform.api("DELETE", f"/api/apps/{app}/domains/gone.example.test")
    assert status == 200
    platform.wait_for("the TLS handshake to be refused",
                      lambda: served_certificate("gone.example.test", tls_port(platform)) is None)
    assert load.finish().sent > 0 and load.failures == [], load.failures  # the app's other names served on
    status, _, body = plain_get(platform, "gone.example.test")
    assert status == 404 and "No app is deployed" in body
    assert platform.api("GET", f"/api/apps/{app}/domains/gone.example.test")[0] == 404


def test_an_uploaded_certificate_is_served_and_its_key_never_shown(acme, app, tmp_path):
    platform, _, _ = acme
    ca, chain, key = own_ca_and_leaf([x509.DNSName("upload.example.test")])
    (tmp_path / "ca.pem").write_text(ca)
    added(platform, app, "upload.example.test")
    status, body = platform.api("PUT", f"/api/apps/{app}/domains/upload.example.test/certificate",
                                {"certificate_chain": chain, "private_key": key})
    assert status == 200, body
    assert body["certificate"]["source"] == "uploaded" and body["certificate"]["status"] == "issued"
    assert "PRIVATE KEY" not in str(body)
    status, _, page = serving_https(platform, "upload.example.test", tmp_path / "ca.pem")
    assert status == 200 and "HTTP_HOST=upload.example.test" in page
    # The key is nowhere in the logs either.
    logs = "".join(path.read_text(errors="replace") for path in Path(platform.var_dir, "log").glob("*.log"))
    assert key.splitlines()[1] not in logs and key.splitlines()[1] not in platform.log_text(app)
