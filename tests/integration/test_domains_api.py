"""Custom domains through the API: adding, listing and removing them, uploading a certificate
(whose key is stored encrypted and never comes back) and going back to an automatic one, who may
do what, and how the certificate manager's outcomes are recorded (the retry back-off, and a
failed renewal that keeps the valid certificate serving). The re-route of the app each change
queues is queued on commit, which a test's rolled-back transaction never reaches: no router is
needed, and the queued callbacks are counted instead."""
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone

from accounts.models import Team
from activity.models import Activity
from applications import config_crypto
from applications.models import App
from domains import services
from domains.models import AcmeAccount, Domain

A = "/api/apps/shop/domains"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def shop(members, isolated, settings) -> App:
    settings.PAAS_APPS_DOMAIN = "apps.example.test"
    settings.PAAS_ACME_RENEW_DAYS = 30
    settings.PAAS_ACME_RETRY_SECONDS = 60
    return App.objects.create(name="shop", team=members.team)


@pytest.fixture
def rival(db) -> App:
    """Another team's app, with a domain of its own."""
    app = App.objects.create(name="rival", team=Team.objects.create(name="others"))
    Domain.objects.create(app=app, hostname="rival.example.com")
    return app


def self_signed(hostname: str, *, start=None, days: int = 90) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "API Test CA"),
                      x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    start = start or timezone.now() - datetime.timedelta(minutes=5)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(start + days * DAY)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def _add(client, members, hostname, who="admin", app="shop"):
    return client.post(f"/api/apps/{app}/domains", {"hostname": hostname}, content_type="application/json",
                       **members.auth(who))


def _put(client, members, hostname, body, who="admin"):
    return client.put(f"{A}/{hostname}/certificate", body, content_type="application/json", **members.auth(who))


def _reroutes(queued) -> int:
    return [callback.__qualname__ for callback in queued].count("enqueue_on_commit.<locals>.<lambda>")


def test_an_admin_adds_a_domain_and_it_is_listed_pending_with_its_cname(client, members, shop,
                                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = _add(client, members, "Shop.Example.com.")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["hostname"] == "shop.example.com" and body["kind"] == "custom"
    assert body["cname"] == "shop.apps.example.test" and body["created_at"]
    assert body["acm_status"] == "pending" and body["acm_status_reason"] is None
    assert body["certificate"] == {"source": "acme", "status": "pending", "reason": None, "expires_at": None,
                                   "issuer": None}
    assert _reroutes(queued) == 1
    _add(client, members, "Bücher.example.com")
    listed = client.get(A, **members.auth("viewer")).json()
    assert [domain["hostname"] for domain in listed] == ["shop.example.com", "xn--bcher-kva.example.com"]
    one = client.get(f"{A}/SHOP.example.com", **members.auth("viewer"))
    assert one.status_code == 200 and one.json() == body


def test_a_hostname_another_teams_app_has_is_a_conflict_that_says_nothing_of_that_app(client, members, shop, rival):
    response = _add(client, members, "rival.example.com")
    assert response.status_code == 409
    assert response.json()["error"] == "rival.example.com is already in use by another app"
    assert "rival" not in response.json()["error"].replace("rival.example.com", "")
    App.objects.create(name="sister", team=members.team)
    assert _add(client, members, "www.example.com", app="sister").status_code == 201
    assert _add(client, members, "www.example.com").json()["error"] == "www.example.com is already in use by another app"
    assert _add(client, members, "shop.example.com").status_code == 201
    again = _add(client, members, "shop.example.com")
    assert again.status_code == 409 and "already a domain of shop" in again.json()["error"]


@pytest.mark.parametrize("hostname, reason", [
    ("*.example.com", "wildcard domains are not supported"),
    ("127.0.0.1", "is an IP address"),
    ("::1", "is an IP address"),
    ("localhost", "single label"),
    ("shop..example.com", "empty label"),
    (f"{'a' * 64}.example.com", "at most 63 characters"),
    (".".join(["a" * 63] * 4), "at most 253 characters"),
    ("shop_1.example.com", "only letters, digits and hyphens"),
    ("-shop.example.com", "start or end with a hyphen"),
    ("web.apps.example.test", "platform's own names"),
    ("", "send a"),
    (None, 'send "hostname"'),
    (42, '"hostname" must be a string'),
])
def test_each_kind_of_invalid_name_gets_a_400_with_its_reason(client, members, shop, hostname, reason):
    response = _add(client, members, hostname)
    assert response.status_code == 400 and reason in response.json()["error"], response.json()
    assert not Domain.objects.exists()


@pytest.mark.parametrize("body", ["{not json", "[1]", '"shop.example.com"'])
def test_a_body_that_is_not_a_json_object_gets_a_400(client, members, shop, body):
    response = client.post(A, body, content_type="application/json", **members.auth("admin"))
    assert response.status_code == 400 and "request body" in response.json()["error"]


def test_another_teams_app_and_its_domains_are_not_found(client, members, shop, rival):
    for response in (
        client.get("/api/apps/rival/domains", **members.auth("admin")),
        _add(client, members, "evil.example.com", app="rival"),
        client.get("/api/apps/rival/domains/rival.example.com", **members.auth("admin")),
        client.delete("/api/apps/rival/domains/rival.example.com", **members.auth("admin")),
        client.put("/api/apps/rival/domains/rival.example.com/certificate", {}, content_type="application/json",
                   **members.auth("admin")),
        client.delete("/api/apps/rival/domains/rival.example.com/certificate", **members.auth("admin")),
    ):
        assert response.status_code == 404 and response.json()["error"] == "app 'rival' not found"
    assert list(Domain.objects.values_list("hostname", flat=True)) == ["rival.example.com"]
    # Nor is one app's domain reachable through another app of the same user.
    assert client.get(f"{A}/rival.example.com", **members.auth("admin")).status_code == 404


def test_only_admins_change_domains_and_every_member_reads_them(client, members, shop):
    _add(client, members, "shop.example.com")
    chain, key = self_signed("shop.example.com")
    for who in ("viewer", "developer", "operator"):
        assert client.get(A, **members.auth(who)).status_code == 200
        refused = _add(client, members, "www.example.com", who=who)
        assert refused.status_code == 403 and who in refused.json()["error"]
        assert client.delete(f"{A}/shop.example.com", **members.auth(who)).status_code == 403
        assert _put(client, members, "shop.example.com", {"certificate_chain": chain, "private_key": key},
                    who=who).status_code == 403
        assert client.delete(f"{A}/shop.example.com/certificate", **members.auth(who)).status_code == 403
    assert list(Domain.objects.values_list("hostname", "certificate_source")) == [("shop.example.com", "acme")]


def test_an_uploaded_certificate_is_issued_and_its_key_is_stored_encrypted_and_never_answered(
        client, members, shop, django_capture_on_commit_callbacks):
    _add(client, members, "shop.example.com")
    chain, key = self_signed("shop.example.com", days=30)
    with django_capture_on_commit_callbacks() as queued:
        response = _put(client, members, "shop.example.com", {"certificate_chain": chain, "private_key": key})
    assert response.status_code == 200, response.json()
    assert _reroutes(queued) == 1
    domain = Domain.objects.get(hostname="shop.example.com")
    certificate = response.json()["certificate"]
    assert certificate["source"] == "uploaded" and certificate["status"] == "issued"
    assert certificate["expires_at"] == domain.expires_at.isoformat() and certificate["issuer"].startswith("API Test CA")
    key_line = key.splitlines()[1]
    for answer in (response, client.get(f"{A}/shop.example.com", **members.auth("admin")), client.get(A, **members.auth("admin"))):
        assert key_line not in answer.content.decode() and "PRIVATE KEY" not in answer.content.decode()
    assert domain.chain_pem == chain
    assert key_line not in domain.key_ciphertext and "PRIVATE KEY" not in domain.key_ciphertext
    assert config_crypto.decrypt_secret(domain.key_ciphertext) == key
    record = Activity.objects.get(verb="certificate")
    assert "Uploaded a certificate for shop.example.com" in record.text and key_line not in record.text


@pytest.mark.parametrize("body, reason", [
    ({"private_key": "KEY"}, 'send "certificate_chain"'),
    ({"certificate_chain": "CHAIN"}, 'send "private_key"'),
    ({"certificate_chain": 5, "private_key": "KEY"}, '"certificate_chain" must be a string'),
    ({"certificate_chain": "garbage", "private_key": "KEY"}, "not a PEM certificate chain"),
    ({"certificate_chain": "CHAIN", "private_key": "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----"},
     "could not be read as a PEM private key"),
    ({"certificate_chain": "CHAIN", "private_key": "OTHER KEY"}, "does not match the certificate"),
    ({"certificate_chain": "OTHER HOST", "private_key": "OTHER HOST KEY"}, "does not cover shop.example.com"),
    ({"certificate_chain": "EXPIRED", "private_key": "EXPIRED KEY"}, "the certificate expired on"),
    ({"certificate_chain": "FUTURE", "private_key": "FUTURE KEY"}, "not valid yet"),
])
def test_each_bad_upload_gets_a_400_with_its_reason_and_changes_nothing(client, members, shop, body, reason):
    _add(client, members, "shop.example.com")
    good = self_signed("shop.example.com")
    now = timezone.now()
    made = {"CHAIN": good, "OTHER": self_signed("shop.example.com"), "OTHER HOST": self_signed("www.example.com"),
            "EXPIRED": self_signed("shop.example.com", start=now - 100 * DAY, days=90),
            "FUTURE": self_signed("shop.example.com", start=now + 2 * DAY)}
    texts = {**{name: pair[0] for name, pair in made.items()}, **{f"{name} KEY": pair[1] for name, pair in made.items()},
             "KEY": good[1]}
    body = {field: texts.get(value, value) if isinstance(value, str) else value for field, value in body.items()}
    response = _put(client, members, "shop.example.com", body)
    assert response.status_code == 400 and reason in response.json()["error"], response.json()
    if isinstance(body.get("private_key"), str) and "\n" in body["private_key"]:
        assert body["private_key"].splitlines()[1] not in response.content.decode()
    domain = Domain.objects.get(hostname="shop.example.com")
    assert (domain.certificate_source, domain.certificate_status, domain.key_ciphertext) == ("acme", "pending", "")


def test_deleting_the_uploaded_certificate_goes_back_to_a_pending_automatic_one(client, members, shop,
                                                                                django_capture_on_commit_callbacks):
    _add(client, members, "shop.example.com")
    chain, key = self_signed("shop.example.com")
    _put(client, members, "shop.example.com", {"certificate_chain": chain, "private_key": key})
    with django_capture_on_commit_callbacks() as queued:
        response = client.delete(f"{A}/shop.example.com/certificate", **members.auth("admin"))
    assert response.status_code == 200 and _reroutes(queued) == 1
    assert response.json()["certificate"] == {"source": "acme", "status": "pending", "reason": None,
                                              "expires_at": None, "issuer": None}
    domain = Domain.objects.get(hostname="shop.example.com")
    assert (domain.chain_pem, domain.key_ciphertext) == ("", "")
    with django_capture_on_commit_callbacks() as queued:  # automatic already: nothing to do
        assert client.delete(f"{A}/shop.example.com/certificate", **members.auth("admin")).status_code == 200
    assert _reroutes(queued) == 0


def test_removing_a_domain_stops_it_and_a_missing_one_is_404(client, members, shop, django_capture_on_commit_callbacks):
    _add(client, members, "shop.example.com")
    with django_capture_on_commit_callbacks() as queued:
        response = client.delete(f"{A}/shop.example.com", **members.auth("admin"))
    assert response.status_code == 200 and response.json()["hostname"] == "shop.example.com"
    assert _reroutes(queued) == 1 and not Domain.objects.exists()
    for response in (client.delete(f"{A}/shop.example.com", **members.auth("admin")),
                     client.get(f"{A}/shop.example.com", **members.auth("viewer")),
                     client.get(f"{A}/not_a name", **members.auth("viewer")),
                     _put(client, members, "shop.example.com", {"certificate_chain": "x", "private_key": "y"})):
        assert response.status_code == 404 and "has no domain" in response.json()["error"]
    assert client.patch(A, {}, content_type="application/json", **members.auth("admin")).status_code == 405


def test_every_change_is_in_the_apps_activity(client, members, shop):
    _add(client, members, "shop.example.com")
    chain, key = self_signed("shop.example.com")
    _put(client, members, "shop.example.com", {"certificate_chain": chain, "private_key": key})
    client.delete(f"{A}/shop.example.com/certificate", **members.auth("admin"))
    client.delete(f"{A}/shop.example.com", **members.auth("admin"))
    texts = [entry["text"] for entry in reversed(client.get("/api/apps/shop/activity", **members.auth("viewer")).json())]
    assert texts[0] == "Added domain shop.example.com" and texts[-1] == "Removed domain shop.example.com"
    assert texts[1].startswith("Uploaded a certificate for shop.example.com from API Test CA")
    assert "Removed the uploaded certificate of shop.example.com" in texts[2]
    assert all(entry.actor_name == "admin" for entry in Activity.objects.filter(app=shop))


def _domain(shop, hostname="shop.example.com", **fields) -> Domain:
    return Domain.objects.create(app=shop, hostname=hostname, **fields)


def test_domains_due_are_new_failed_past_their_back_off_and_issued_within_the_renewal_window(shop):
    now = timezone.now()
    _domain(shop, "new.example.com")
    _domain(shop, "failed-ready.example.com", certificate_status="failed", next_attempt_at=now - DAY)
    _domain(shop, "failed-waiting.example.com", certificate_status="failed", next_attempt_at=now + DAY)
    _domain(shop, "renew.example.com", certificate_status="issued", expires_at=now + 29 * DAY)
    _domain(shop, "fresh.example.com", certificate_status="issued", expires_at=now + 31 * DAY)
    _domain(shop, "renew-waiting.example.com", certificate_status="issued", expires_at=now + 10 * DAY,
            next_attempt_at=now + DAY)
    _domain(shop, "uploaded.example.com", certificate_source="uploaded", certificate_status="issued",
            expires_at=now + DAY)
    due = set(services.domains_due(now).values_list("hostname", flat=True))
    assert due == {"new.example.com", "failed-ready.example.com", "renew.example.com"}


def test_an_admin_asks_for_a_renewal_now_and_the_manager_does_it_once(client, members, shop):
    now = timezone.now()
    chain, key = self_signed("shop.example.com", days=90)
    domain = _domain(shop)
    services.certificate_issued(domain.pk, chain, key)
    assert not services.domains_due(now).exists()  # far from the renewal window
    answer = client.post(f"{A}/shop.example.com/certificate/renewal", **members.auth("admin"))
    assert answer.status_code == 202 and answer.json()["certificate"]["status"] == "issued"
    assert list(services.domains_due(now).values_list("hostname", flat=True)) == ["shop.example.com"]
    services.certificate_issued(domain.pk, *self_signed("shop.example.com", days=90))
    assert not services.domains_due(now).exists()
    # A renewal asked for that fails keeps the certificate, and waits for the window again.
    client.post(f"{A}/shop.example.com/certificate/renewal", **members.auth("admin"))
    failed = services.certificate_failed(domain.pk, "connection refused")
    assert failed.certificate_status == "issued" and not failed.renewal_requested
    assert client.post(f"{A}/shop.example.com/certificate/renewal", **members.auth("developer")).status_code == 403


def test_only_an_issued_automatic_certificate_can_be_renewed(client, members, shop):
    _domain(shop, "pending.example.com")
    answer = client.post(f"{A}/pending.example.com/certificate/renewal", **members.auth("admin"))
    assert answer.status_code == 409 and "no certificate to renew yet" in answer.json()["error"]
    _domain(shop, "shop.example.com")
    chain, key = self_signed("shop.example.com")
    assert _put(client, members, "shop.example.com", {"certificate_chain": chain, "private_key": key}).status_code == 200
    answer = client.post(f"{A}/shop.example.com/certificate/renewal", **members.auth("admin"))
    assert answer.status_code == 409 and "uploaded certificate" in answer.json()["error"]


def test_each_failure_doubles_the_wait_up_to_six_hours(shop):
    domain = _domain(shop)
    waits = []
    for attempt in range(1, 12):
        before = timezone.now()
        failed = services.certificate_failed(domain.pk, f"try {attempt}: connection refused")
        waits.append(round((failed.next_attempt_at - before).total_seconds() / 60))
        assert failed.attempts == attempt and failed.certificate_status == "failed"
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]
    assert failed.failure_reason == "try 11: connection refused"
    assert not services.domains_due(timezone.now()).exists()
    records = Activity.objects.filter(verb="certificate")
    assert [record.text for record in records] == [
        "Certificate for shop.example.com failed: try 1: connection refused (retrying)"]


def test_an_issued_certificate_is_installed_and_clears_the_failures(shop, django_capture_on_commit_callbacks):
    domain = _domain(shop)
    services.certificate_failed(domain.pk, "DNS points elsewhere")
    chain, key = self_signed("shop.example.com", days=90)
    with django_capture_on_commit_callbacks() as queued:
        issued = services.certificate_issued(domain.pk, chain, key)
    assert _reroutes(queued) == 1
    assert (issued.certificate_status, issued.attempts, issued.failure_reason, issued.next_attempt_at) == \
        ("issued", 0, "", None)
    assert issued.issuer.startswith("API Test CA") and config_crypto.decrypt_secret(issued.key_ciphertext) == key
    assert Activity.objects.filter(text__startswith="Certificate issued for shop.example.com by API Test CA",
                                   text__contains=f"expires {issued.expires_at:%Y-%m-%d}").exists()


def test_a_failed_renewal_keeps_the_valid_certificate_serving(shop, django_capture_on_commit_callbacks):
    domain = _domain(shop)
    chain, key = self_signed("shop.example.com", days=20)
    services.certificate_issued(domain.pk, chain, key)
    with django_capture_on_commit_callbacks() as queued:
        failed = services.certificate_failed(domain.pk, "rate limited")
    assert _reroutes(queued) == 0  # nothing the router serves changed
    assert failed.certificate_status == "issued" and failed.chain_pem == chain and failed.attempts == 1
    assert failed.failure_reason.startswith("renewal failed") and failed.failure_reason.endswith("rate limited")


def test_a_failed_renewal_of_an_expired_certificate_stops_serving_it(shop, django_capture_on_commit_callbacks):
    chain, key = self_signed("shop.example.com", start=timezone.now() - 100 * DAY, days=90)
    domain = _domain(shop, certificate_status="issued", chain_pem=chain, key_ciphertext=config_crypto.encrypt_secret(key),
                     expires_at=timezone.now() - 10 * DAY)
    with django_capture_on_commit_callbacks() as queued:
        failed = services.certificate_failed(domain.pk, "rate limited")
    assert _reroutes(queued) == 1
    assert (failed.certificate_status, failed.chain_pem, failed.key_ciphertext) == ("failed", "", "")


def test_outcomes_for_a_domain_deleted_or_uploaded_meanwhile_are_dropped(shop):
    chain, key = self_signed("shop.example.com")
    assert services.certificate_issued(12345, chain, key) is None
    assert services.certificate_failed(12345, "gone") is None
    uploaded = _domain(shop, certificate_source="uploaded", certificate_status="issued")
    assert services.certificate_issued(uploaded.pk, chain, key) is None
    assert services.certificate_failed(uploaded.pk, "late") is None
    uploaded.refresh_from_db()
    assert (uploaded.chain_pem, uploaded.attempts) == ("", 0)


def test_the_acme_account_key_is_made_once_and_stored_encrypted(db):
    directory = "https://acme.example.test/directory"
    key = services.acme_account_key(directory)
    assert key.startswith("-----BEGIN PRIVATE KEY-----") and services.acme_account_key(directory) == key
    account = AcmeAccount.objects.get()
    assert "PRIVATE KEY" not in account.key_ciphertext and services.acme_account_url(directory) == ""
    services.acme_account_url_set(directory, "https://acme.example.test/acct/1")
    assert services.acme_account_url(directory) == "https://acme.example.test/acct/1"
    assert services.acme_account_url("https://elsewhere.example.test/dir") == ""
