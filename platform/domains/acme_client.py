"""Getting one certificate over ACME (RFC 8555) with the `acme` library, certbot's own: the
account (found again by its key, or registered), an order for one name, its http-01 challenge
answered through `publish`, and the finalized chain. No models here: the caller keeps the
account key and records the outcome (domains/certificate_manager.py).

The certificate's key is a fresh EC P-256 key per certificate, as certbot makes by default now:
smaller and faster handshakes than RSA, and accepted by every ACME CA and current client. The
account key is RSA (RS256), which every ACME server takes."""
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import josepy
import requests
from acme import challenges, client, crypto_util, errors, messages
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

USER_AGENT = "paas-certificates (acme-python)"


class AcmeFailed(Exception):
    """The certificate was not issued; the message says why in a line a user can act on."""


@dataclass(frozen=True)
class Issued:
    chain_pem: str
    key_pem: str = field(repr=False)
    account_url: str


def new_account_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _private_pem(key)


def _private_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _account(acme: client.ClientV2, network: client.ClientNetwork, email: str, account_url: str | None) -> str:
    """Register the account key (or find its account again); the account's URL."""
    if account_url:
        network.account = messages.RegistrationResource(uri=account_url, body=messages.Registration())
        return account_url
    registration = messages.NewRegistration.from_data(email=email or None, terms_of_service_agreed=True)
    try:
        return acme.new_account(registration).uri
    except errors.ConflictError as existing:  # the key is registered already
        network.account = messages.RegistrationResource(uri=existing.location, body=messages.Registration())
        return existing.location


def _http01(order: messages.OrderResource) -> messages.ChallengeBody | None:
    """The http-01 challenge to answer; None when the server still holds a valid authorization
    for the name (a renewal within its lifetime: Let's Encrypt keeps them 30 days)."""
    for authorization in order.authorizations:
        if authorization.body.status == messages.STATUS_VALID:
            continue
        for challenge in authorization.body.challenges:
            if isinstance(challenge.chall, challenges.HTTP01):
                return challenge
        raise AcmeFailed("the ACME server offered no http-01 challenge")
    return None


# Go's wording in Pebble's details, made into one line a user acts on (Let's Encrypt's
# own details, "DNS problem: ..." and the like, already read well and pass through).
_GET = re.compile(r'^Get "(?P<url>[^"]+)": (?P<cause>.*)$')
_STATUS = re.compile(r"^Non-200 status code from HTTP: (?P<url>\S+) returned (?P<status>\d+)$")


def _problem_reason(code: str | None, detail: str, hostname: str) -> str:
    if code == "dns" or "could not resolve" in detail or "no such host" in detail:
        return detail if detail.startswith("DNS problem") else f"DNS problem: could not resolve {hostname}"
    if status := _STATUS.match(detail):
        return f"the ACME server could not fetch {status['url']}: it answered {status['status']}"
    if get := _GET.match(detail):
        cause = get["cause"].rsplit(": ", 1)[-1]  # "dial tcp 127.0.0.1:80: connect: connection refused"
        return f"the ACME server could not fetch {get['url']}: {cause}"
    return f"{code} error: {detail}" if code else detail


def _validation_reason(error: errors.ValidationError, hostname: str) -> str:
    for authorization in error.failed_authzrs:
        for challenge in authorization.body.challenges:
            if challenge.error is not None:
                return _problem_reason(challenge.error.code, challenge.error.detail or str(challenge.error), hostname)
    return "the challenge was not validated"


def issue_certificate(*, directory: str, account_key_pem: str, account_url: str | None, email: str,
                      ca_bundle: str | None, hostname: str, publish: Callable[[str, str], None],
                      unpublish: Callable[[str], None], timeout: float = 90) -> Issued:
    """A certificate for `hostname` from the ACME server at `directory`, its http-01 challenge
    served by `publish(token, validation)` until it is answered. Raises AcmeFailed."""
    account_key = serialization.load_pem_private_key(account_key_pem.encode(), password=None)
    network = client.ClientNetwork(josepy.JWKRSA(key=account_key), alg=josepy.RS256, user_agent=USER_AGENT,
                                   verify_ssl=ca_bundle or True, timeout=30)
    certificate_key_pem = _private_pem(ec.generate_private_key(ec.SECP256R1()))
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=timeout)
    token = None
    try:
        acme = client.ClientV2(client.ClientV2.get_directory(directory, network), network)
        account_url = _account(acme, network, email, account_url)
        order = acme.new_order(crypto_util.make_csr(certificate_key_pem.encode(), [hostname]))
        challenge = _http01(order)
        if challenge is not None:
            response, validation = challenge.response_and_validation(network.key)
            token = challenge.chall.encode("token")
            publish(token, validation)
            acme.answer_challenge(challenge, response)
        finished = acme.poll_and_finalize(order, deadline)
    except errors.ValidationError as error:
        raise AcmeFailed(_validation_reason(error, hostname)) from None
    except errors.TimeoutError:
        raise AcmeFailed(f"the ACME server did not finish within {timeout:g}s") from None
    except messages.Error as error:  # the server's problem document
        raise AcmeFailed(error.detail or str(error)) from None
    except requests.exceptions.SSLError:
        raise AcmeFailed(f"the ACME server at {directory} is not trusted (see PAAS_ACME_CA_BUNDLE)") from None
    except requests.exceptions.RequestException as error:
        raise AcmeFailed(f"the ACME server at {directory} did not answer: {type(error).__name__}") from None
    except errors.Error as error:
        raise AcmeFailed(f"ACME: {error}") from None
    finally:
        if token is not None:
            unpublish(token)
    return Issued(finished.fullchain_pem, certificate_key_pem, account_url)
