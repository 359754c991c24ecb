"""Reading certificates: an upload checked before the router may serve it (its key matches, it
covers the domain, it is valid now, nginx can load it), and what an issued one says of itself.

The router loads every certificate in one configuration: one it refused (a 1024-bit key, an MD5
signature) would fail the reload of every app, so those are refused here with the rest. No
message quotes the private key."""
import dataclasses
import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from paas.errors import UserError

MIN_RSA_BITS = 2048
# The curves that TLS clients and nginx's OpenSSL serve with.
EC_CURVES = ("secp256r1", "secp384r1", "secp521r1")
WEAK_HASHES = ("md5", "sha1")


@dataclasses.dataclass(frozen=True)
class CheckedCertificate:
    chain_pem: str  # the certificates alone, re-encoded: no text between or around them
    key_pem: str = dataclasses.field(repr=False)  # PKCS#8, unencrypted
    expires_at: datetime.datetime
    issuer: str


@dataclasses.dataclass(frozen=True)
class CertificateSummary:
    expires_at: datetime.datetime
    issuer: str


def _when(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _chain(chain_pem) -> list[x509.Certificate]:
    if not isinstance(chain_pem, str) or "-----BEGIN CERTIFICATE-----" not in chain_pem:
        raise UserError("the certificate is not a PEM certificate chain (-----BEGIN CERTIFICATE----- blocks, "
                        "the domain's certificate first)")
    try:
        return x509.load_pem_x509_certificates(chain_pem.encode())
    except ValueError:
        raise UserError("the certificate is not a PEM certificate chain: a -----BEGIN CERTIFICATE----- block "
                        "could not be read") from None


def _key(key_pem):
    if not isinstance(key_pem, str) or "PRIVATE KEY-----" not in key_pem:
        raise UserError("the private key is not a PEM private key (-----BEGIN PRIVATE KEY-----)")
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except TypeError:
        raise UserError("the private key is encrypted with a passphrase; upload it unencrypted "
                        "(it is stored encrypted)") from None
    except (ValueError, UnsupportedAlgorithm):
        raise UserError("the private key could not be read as a PEM private key (PKCS#8, PKCS#1 or SEC1)") from None
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise UserError(f"the private key is a {key.key_size}-bit RSA key; use at least {MIN_RSA_BITS} bits")
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in EC_CURVES:
            raise UserError(f"the private key is on the curve {key.curve.name}; use P-256, P-384 or P-521")
    else:
        raise UserError("the private key is neither RSA nor ECDSA; TLS certificates here use one of those")
    return key


def _spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _names(leaf: x509.Certificate) -> list[str]:
    """The host names the certificate is for: its SANs, or its common name if it has none."""
    try:
        return [name.lower() for name in
                leaf.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
                .get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        return [str(attribute.value).lower() for attribute in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]


def _covers(name: str, hostname: str) -> bool:
    """An exact name, or a wildcard (*.example.com) for one label more (a.example.com only)."""
    name = name.removesuffix(".")
    if name.startswith("*."):
        first, _, rest = hostname.partition(".")
        return bool(first) and rest == name[2:]
    return name == hostname


def _issuer(certificate: x509.Certificate) -> str:
    """The issuer as people name it: its organization, and its common name ("Let's Encrypt (R10)")."""
    parts = [str(attribute.value) for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME)
             for attribute in certificate.issuer.get_attributes_for_oid(oid)[:1]]
    if len(parts) == 2:
        return f"{parts[0]} ({parts[1]})"[:255]
    return (parts[0] if parts else certificate.issuer.rfc4514_string())[:255]


def certificate_check(hostname: str, chain_pem, key_pem, now: datetime.datetime) -> CheckedCertificate:
    """The upload made ready to serve `hostname`; a UserError saying what is wrong otherwise."""
    chain = _chain(chain_pem)
    key = _key(key_pem)
    leaf = chain[0]
    if _spki(key.public_key()) != _spki(leaf.public_key()):
        raise UserError("the private key does not match the certificate (the first one in the chain must be "
                        "the domain's own, issued for this key)")
    names = _names(leaf)
    if not any(_covers(name, hostname) for name in names):
        shown = ", ".join(names[:10]) or "no host name"
        raise UserError(f"the certificate does not cover {hostname}: it is for {shown}")
    if now < leaf.not_valid_before_utc:
        raise UserError(f"the certificate is not valid yet: it is valid from {_when(leaf.not_valid_before_utc)} "
                        f"to {_when(leaf.not_valid_after_utc)}")
    if now >= leaf.not_valid_after_utc:
        raise UserError(f"the certificate expired on {_when(leaf.not_valid_after_utc)} "
                        f"(it was valid from {_when(leaf.not_valid_before_utc)})")
    try:
        algorithm = leaf.signature_hash_algorithm
    except UnsupportedAlgorithm:
        raise UserError("the certificate is signed with an algorithm TLS clients do not accept; "
                        "get one signed with SHA-256") from None
    if isinstance(algorithm, hashes.HashAlgorithm) and algorithm.name in WEAK_HASHES:
        raise UserError(f"the certificate is signed with {algorithm.name.upper()}, which TLS clients and the "
                        f"router refuse; get one signed with SHA-256")
    return CheckedCertificate(
        chain_pem="".join(certificate.public_bytes(serialization.Encoding.PEM).decode() for certificate in chain),
        key_pem=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()).decode(),
        expires_at=leaf.not_valid_after_utc,
        issuer=_issuer(leaf),
    )


def certificate_summary(chain_pem: str) -> CertificateSummary:
    """When the chain's first certificate (the domain's) expires, and who issued it."""
    leaf = _chain(chain_pem)[0]
    return CertificateSummary(expires_at=leaf.not_valid_after_utc, issuer=_issuer(leaf))
