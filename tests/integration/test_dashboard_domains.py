"""The dashboard's domains page: each domain with its certificate's state, its source and the DNS
record to make; admins add and remove domains, upload a certificate (whose key never comes back)
or go back to an automatic one, and switch the HTTPS settings; viewers only read, outsiders get
the 404 of an app that does not exist. Queued jobs (re-routing the app) are queued on commit,
which a test's rolled-back transaction never reaches: no router is needed."""
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.contrib.auth import get_user_model

from applications.models import App
from domains.models import Domain

HTMX = {"HTTP_HX_REQUEST": "true"}
PAGE = "/apps/shop/domains/"


@pytest.fixture
def shop(members, isolated, settings) -> App:
    settings.PAAS_APPS_DOMAIN = "apps.example.test"
    settings.PAAS_ACME_DIRECTORY = "https://acme.example.test/directory"
    return App.objects.create(name="shop", team=members.team)


def _as(client, who: str):
    client.force_login(get_user_model().objects.get(username=who))
    return client


def _add(client, hostname: str, **headers):
    return client.post("/apps/shop/domains/add", {"hostname": hostname}, **headers)


def self_signed(hostname: str, days: int = 30) -> tuple[str, str]:
    """A certificate for `hostname` signed by its own key, and that key: both PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Dashboard Test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def _row(page: str, hostname: str) -> str:
    """The table row of `hostname` (the first <tr> that names it)."""
    start = page.index(f'<tr data-hostname="{hostname}">')
    return page[start:page.index("</tr>", start)]


def test_the_app_tabs_link_to_the_domains_page(client, members, shop):
    page = _as(client, "viewer").get("/apps/shop/").content.decode()
    assert f'href="{PAGE}"' in page


def test_an_admin_adds_a_domain_and_it_is_listed_pending_and_automatic_with_its_dns_target(client, members, shop):
    response = _add(_as(client, "admin"), "shop.example.com", **HTMX)
    assert response.status_code == 200, response.content.decode()
    assert "Added shop.example.com" in response.content.decode()
    assert Domain.objects.get(app=shop).hostname == "shop.example.com"
    page = client.get(PAGE).content.decode()
    row = _row(page, "shop.example.com")
    assert "pending" in row and "automatic" in row and "CNAME <code>shop.apps.example.test</code>" in row
    assert 'action="/apps/shop/domains/add"' in page and "/domains/shop.example.com/remove" in page


def test_a_plain_form_post_goes_back_to_the_page(client, members, shop):
    response = _add(_as(client, "admin"), "www.example.com")
    assert response.status_code == 302 and response["Location"] == PAGE
    assert "www.example.com" in client.get(PAGE).content.decode()


def test_an_admin_removes_a_domain_after_a_confirmation_and_it_is_gone(client, members, shop):
    _add(_as(client, "admin"), "shop.example.com", **HTMX)
    page = client.get(PAGE).content.decode()
    assert 'hx-confirm="Remove shop.example.com?' in page
    response = client.post("/apps/shop/domains/shop.example.com/remove", **HTMX)
    assert response.status_code == 200 and "Removed shop.example.com" in response.content.decode()
    assert not Domain.objects.filter(app=shop).exists()
    assert 'data-hostname="shop.example.com"' not in client.get(PAGE).content.decode()


@pytest.mark.parametrize("hostname", ["*.example.com", "127.0.0.1", "not a name", ""])
def test_a_bad_hostname_is_shown_as_the_pages_message_and_adds_nothing(client, members, shop, hostname):
    response = _add(_as(client, "admin"), hostname, **HTMX)
    assert response.status_code == 400, response.content.decode()
    assert response["HX-Retarget"] == "#flash" and 'role="alert"' in response.content.decode()
    plain = _add(client, hostname)
    assert plain.status_code == 400 and 'class="flash flash-error"' in plain.content.decode()
    assert not Domain.objects.exists()


def test_a_hostname_of_another_app_is_refused_with_its_reason(client, members, shop):
    App.objects.create(name="other", team=members.team)
    _as(client, "admin").post("/apps/other/domains/add", {"hostname": "shop.example.com"}, **HTMX)
    response = _add(client, "shop.example.com", **HTMX)
    assert response.status_code == 409 and "shop.example.com" in response.content.decode()
    assert Domain.objects.get(hostname="shop.example.com").app.name == "other"


def test_a_viewer_sees_the_domains_and_their_state_but_no_forms(client, members, shop):
    _add(_as(client, "admin"), "shop.example.com", **HTMX)
    page = _as(client, "viewer").get(PAGE).content.decode()
    assert "shop.example.com" in page and "pending" in page
    assert "<form" not in page.split('<div id="domains">', 1)[1]
    assert "<textarea" not in page and "Redirect HTTP to HTTPS" in page


@pytest.mark.parametrize("path, form", [
    ("add", {"hostname": "www.example.com"}),
    ("shop.example.com/remove", {}),
    ("shop.example.com/certificate", {"chain_pem": "x", "key_pem": "y"}),
    ("shop.example.com/automatic", {}),
    ("https", {"redirect_https": ["off", "on"]}),
])
def test_a_viewers_change_is_refused_and_changes_nothing(client, members, shop, path, form):
    _add(_as(client, "admin"), "shop.example.com", **HTMX)
    for role in ("viewer", "developer", "operator"):
        assert _as(client, role).post(f"/apps/shop/domains/{path}", form).status_code == 403
    assert list(Domain.objects.values_list("hostname", "certificate_source")) == [("shop.example.com", "acme")]
    shop.refresh_from_db()
    assert not shop.redirect_https


def test_an_uploaded_certificate_shows_issued_with_its_expiry_and_issuer_and_never_its_key(client, members, shop):
    _add(_as(client, "admin"), "shop.example.com", **HTMX)
    chain, key = self_signed("shop.example.com", days=30)
    response = client.post("/apps/shop/domains/shop.example.com/certificate", {"chain_pem": chain, "key_pem": key}, **HTMX)
    assert response.status_code == 200, response.content.decode()
    domain = Domain.objects.get(hostname="shop.example.com")
    assert (domain.certificate_source, domain.certificate_status) == ("uploaded", "issued")
    for page in (response.content.decode(), client.get(PAGE).content.decode()):
        row = _row(page, "shop.example.com")
        assert "issued" in row and "uploaded" in row and domain.expires_at.strftime("%Y-%m-%d") in row
        assert "Dashboard Test CA" in row
        assert key not in page and key.splitlines()[1] not in page
        assert "Switch back to an automatic certificate" in page


def test_a_bad_upload_is_refused_with_its_reason_and_the_key_is_not_echoed(client, members, shop):
    _add(_as(client, "admin"), "shop.example.com", **HTMX)
    chain, _ = self_signed("shop.example.com")
    _, other_key = self_signed("shop.example.com")
    response = client.post("/apps/shop/domains/shop.example.com/certificate", {"chain_pem": chain, "key_pem": other_key},
                           **HTMX)
    assert response.status_code == 400 and response["HX-Retarget"] == "#flash"
    assert other_key.splitlines()[1] not in response.content.decode()
    assert Domain.objects.get(hostname="shop.example.com").certificate_source == "acme"


def test_switching_back_to_automatic_makes_the_domain_automatic_again(client, members, shop):
    _add(_as(client, "admin"), "shop.example.com", **HTMX)
    chain, key = self_signed("shop.example.com")
    client.post("/apps/shop/domains/shop.example.com/certificate", {"chain_pem": chain, "key_pem": key}, **HTMX)
    response = client.post("/apps/shop/domains/shop.example.com/automatic", **HTMX)
    assert response.status_code == 200, response.content.decode()
    assert Domain.objects.get(hostname="shop.example.com").certificate_source == "acme"
    assert "automatic" in _row(client.get(PAGE).content.decode(), "shop.example.com")


def test_a_failed_certificate_shows_its_reason(client, members, shop):
    _add(_as(client, "admin"), "shop.example.com", **HTMX)
    Domain.objects.filter(hostname="shop.example.com").update(certificate_status="failed",
                                                              failure_reason="the ACME server could not reach it")
    row = _row(client.get(PAGE).content.decode(), "shop.example.com")
    assert "failed" in row and "the ACME server could not reach it" in row


def test_with_automatic_certificates_off_the_page_says_so(client, members, shop, settings):
    settings.PAAS_ACME_DIRECTORY = ""
    _add(_as(client, "admin"), "shop.example.com", **HTMX)
    page = client.get(PAGE).content.decode()
    assert "Automatic certificates are off on this platform" in page
    assert "upload one: automatic certificates are off" in _row(page, "shop.example.com")


def test_the_toggles_set_redirect_and_hsts_and_unticking_turns_them_off(client, members, shop):
    response = _as(client, "admin").post("/apps/shop/domains/https", {"redirect_https": ["off", "on"], "hsts": ["off", "on"]},
                                         **HTMX)
    assert response.status_code == 200, response.content.decode()
    shop.refresh_from_db()
    assert shop.redirect_https and shop.hsts
    assert 'name="redirect_https" value="on" checked' in response.content.decode()
    client.post("/apps/shop/domains/https", {"redirect_https": "off", "hsts": ["off", "on"]}, **HTMX)
    shop.refresh_from_db()
    assert not shop.redirect_https and shop.hsts
    assert "Nothing changed" in client.post("/apps/shop/domains/https", {"redirect_https": "off", "hsts": ["off", "on"]},
                                            **HTMX).content.decode()


def test_another_teams_app_is_not_found(client, members, shop):
    _add(_as(client, "admin"), "shop.example.com", **HTMX)
    outsider = _as(client, "outsider")
    assert outsider.get(PAGE).status_code == 404
    assert outsider.post("/apps/shop/domains/add", {"hostname": "evil.example.com"}).status_code == 404
    assert outsider.post("/apps/shop/domains/shop.example.com/remove").status_code == 404
    assert list(Domain.objects.values_list("hostname", flat=True)) == ["shop.example.com"]
