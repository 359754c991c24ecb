"""Checking an uploaded certificate before the router serves it: its key matches, it covers the
domain (exactly, or by a one-label wildcard), it is valid now, nginx can load it; each refusal
says why and none quotes the key. Certificates are made here, with a CA of the test's own."""
import datetime
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from domains.certificates import certificate_check, certificate_summary
from paas.errors import UserError

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)
CA_KEY = ec.generate_private_key(ec.SECP256R1())
CA_NAME = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Trust"),
                     x509.NameAttribute(NameOID.COMMON_NAME, "Test Issuing CA 1")])


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _key_pem(key, encryption=serialization.NoEncryption(), form=serialization.PrivateFormat.PKCS8) -> str:
    return key.private_bytes(serialization.Encoding.PEM, form, encryption).decode()


def _ca() -> x509.Certificate:
    return (
        x509.CertificateBuilder().subject_name(CA_NAME).issuer_name(CA_NAME).public_key(CA_KEY.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(NOW - 400 * DAY).not_valid_after(NOW + 400 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(CA_KEY, hashes.SHA256())
    )


CA = _ca()


def issued(names=("shop.example.com",), *, key=None, start=NOW - DAY, end=NOW + 90 * DAY, san=True,
           common_name="shop.example.com"):
    """A certificate signed by the test CA, and its key."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(CA_NAME).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(CA_KEY, hashes.SHA256()), key


def _refused(hostname, chain_pem, key_pem, now=NOW) -> str:
    with pytest.raises(UserError) as refused:
        certificate_check(hostname, chain_pem, key_pem, now)
    assert refused.value.status == 400
    return str(refused.value)


def test_a_matching_certificate_and_chain_is_accepted_with_its_expiry_and_issuer():
    leaf, key = issued()
    chain = f"leaf for the shop\n{_pem(leaf)}\n\n{_pem(CA)}trailing words\n"
    checked = certificate_check("shop.example.com", chain, _key_pem(key, form=serialization.PrivateFormat.TraditionalOpenSSL),
                                NOW)
    assert checked.chain_pem == _pem(leaf) + _pem(CA)  # the certificates alone, leaf first
    assert checked.key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert checked.expires_at == NOW + 90 * DAY
    assert checked.issuer == "Test Trust (Test Issuing CA 1)"
    assert checked.key_pem not in repr(checked)


def test_an_rsa_key_is_accepted():
    leaf, key = issued(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert certificate_check("shop.example.com", _pem(leaf), _key_pem(key), NOW).expires_at == NOW + 90 * DAY


def test_a_key_that_is_not_the_certificates_is_refused_without_quoting_it():
    leaf, _ = issued()
    other = _key_pem(ec.generate_private_key(ec.SECP256R1()))
    message = _refused("shop.example.com", _pem(leaf), other)
    assert "does not match the certificate" in message
    assert other.splitlines()[1] not in message


def test_a_chain_whose_first_certificate_is_not_the_domains_is_refused_as_a_key_mismatch():
    leaf, key = issued()
    assert "does not match" in _refused("shop.example.com", _pem(CA) + _pem(leaf), _key_pem(key))


def test_a_certificate_for_another_host_is_refused_naming_what_it_is_for():
    leaf, key = issued(("www.example.com", "example.com"))
    message = _refused("shop.example.com", _pem(leaf), _key_pem(key))
    assert "does not cover shop.example.com" in message and "www.example.com, example.com" in message


def test_a_wildcard_covers_one_label_below_it_and_nothing_else():
    leaf, key = issued(("*.example.com",))
    assert certificate_check("a.example.com", _pem(leaf), _key_pem(key), NOW).expires_at
    for hostname in ("example.com", "a.b.example.com", "a.example.org"):
        assert "does not cover" in _refused(hostname, _pem(leaf), _key_pem(key))


def test_without_subject_alternative_names_the_common_name_is_what_it_covers():
    leaf, key = issued(san=False, common_name="Shop.Example.com")
    assert certificate_check("shop.example.com", _pem(leaf), _key_pem(key), NOW).expires_at
    assert "does not cover" in _refused("www.example.com", _pem(leaf), _key_pem(key))


def test_an_expired_certificate_is_refused_with_its_dates():
    leaf, key = issued(start=NOW - 100 * DAY, end=NOW - 10 * DAY)
    message = _refused("shop.example.com", _pem(leaf), _key_pem(key))
    assert "expired on 2026-05-22 12:00:00 UTC" in message and "2026-02-21" in message


def test_a_certificate_not_yet_valid_is_refused_with_its_dates():
    leaf, key = issued(start=NOW + 2 * DAY, end=NOW + 92 * DAY)
    message = _refused("shop.example.com", _pem(leaf), _key_pem(key))
    assert "not valid yet" in message and "2026-06-03 12:00:00 UTC" in message and "2026-09-01" in message


@pytest.mark.parametrize("chain", ["", "hello", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
                                   None, 42])
def test_garbage_instead_of_a_chain_is_refused(chain):
    _, key = issued()
    assert "not a PEM certificate chain" in _refused("shop.example.com", chain, _key_pem(key))


@pytest.mark.parametrize("key_pem", ["", "hello", None,
                                     "-----BEGIN PRIVATE KEY-----\nc2VjcmV0IHN0dWZm\n-----END PRIVATE KEY-----\n"])
def test_garbage_instead_of_a_key_is_refused_without_echoing_it(key_pem):
    leaf, _ = issued()
    message = _refused("shop.example.com", _pem(leaf), key_pem)
    assert "private key" in message and "c2VjcmV0IHN0dWZm" not in message


def test_a_passphrase_protected_key_is_refused_saying_to_upload_it_unencrypted():
    leaf, key = issued()
    locked = _key_pem(key, serialization.BestAvailableEncryption(b"passphrase"))
    assert "encrypted with a passphrase" in _refused("shop.example.com", _pem(leaf), locked)


def test_keys_and_signatures_the_router_cannot_load_are_refused():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    leaf, key = issued(key=weak)
    assert "1024-bit RSA key" in _refused("shop.example.com", _pem(leaf), _key_pem(key))
    leaf, key = issued(key=ec.generate_private_key(ec.SECP256K1()))
    assert "secp256k1" in _refused("shop.example.com", _pem(leaf), _key_pem(key))


def test_a_certificate_signed_with_sha1_is_refused(tmp_path):
    # cryptography no longer signs with SHA-1: OpenSSL's command line still does.
    subprocess.run(["openssl", "req", "-x509", "-sha1", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-subj", "/CN=shop.example.com", "-addext", "subjectAltName=DNS:shop.example.com",
                    "-days", "30", "-keyout", tmp_path / "key.pem", "-out", tmp_path / "cert.pem"],
                   check=True, capture_output=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    message = _refused("shop.example.com", (tmp_path / "cert.pem").read_text(), (tmp_path / "key.pem").read_text(), now)
    assert "signed with SHA1" in message


def test_the_summary_of_an_issued_chain_is_its_first_certificates_expiry_and_issuer():
    leaf, _ = issued(end=NOW + 60 * DAY)
    summary = certificate_summary(_pem(leaf) + _pem(CA))
    assert summary.expires_at == NOW + 60 * DAY and summary.issuer == "Test Trust (Test Issuing CA 1)"
