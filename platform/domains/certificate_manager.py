"""The certificate manager (`manage.py manage_certificates`, Heroku ACM's job): every
PAAS_CERTIFICATES_INTERVAL seconds, each domain whose certificate is the platform's to get
(domains_due: new ones, failed ones whose back-off has passed, ones within PAAS_ACME_RENEW_DAYS
of expiry) gets one from PAAS_ACME_DIRECTORY, one domain at a time.

The router answers the http-01 challenge from a file (router/challenges.py) on plain HTTP, which
keeps serving the app whatever happens here: a failure is recorded on the domain, with its
reason, and tried again later. An issued certificate is installed by re-routing the app (a
graceful reload), so a renewal replaces the old one without a dropped request.
"""
import logging
import os
import threading

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from domains import acme_client, services
from paas import heartbeat, logstream
from router import challenges

log = logging.getLogger(__name__)


def automatic_certificates_on() -> bool:
    return bool(settings.PAAS_ACME_DIRECTORY)


def certificate_get(domain_id: int, hostname: str, app_id: int) -> bool:
    """Ask the ACME server for the domain's certificate and record the outcome; True if issued."""
    directory = settings.PAAS_ACME_DIRECTORY
    logstream.say(app_id, "platform", f"Requesting a certificate for {hostname} from {directory}")
    try:
        issued = acme_client.issue_certificate(
            directory=directory,
            account_key_pem=services.acme_account_key(directory),
            account_url=services.acme_account_url(directory),
            email=settings.PAAS_ACME_EMAIL,
            ca_bundle=settings.PAAS_ACME_CA_BUNDLE or None,
            hostname=hostname,
            publish=challenges.put,
            unpublish=challenges.remove,
        )
    except acme_client.AcmeFailed as failure:
        services.certificate_failed(domain_id, str(failure))
        logstream.say(app_id, "platform", f"Certificate for {hostname} failed: {failure} (will retry)")
        return False
    services.acme_account_url_set(directory, issued.account_url)
    services.certificate_issued(domain_id, issued.chain_pem, issued.key_pem)
    logstream.say(app_id, "platform", f"Certificate for {hostname} issued; HTTPS is being switched on")
    return True


def pass_once(now=None) -> int:
    """Get every due certificate; how many were asked for."""
    if not automatic_certificates_on():
        return 0
    due = list(services.domains_due(now or timezone.now()).values_list("pk", "hostname", "app_id"))
    for domain_id, hostname, app_id in due:
        certificate_get(domain_id, hostname, app_id)
    return len(due)


def run_forever(should_stop: threading.Event) -> None:
    interval = settings.PAAS_CERTIFICATES_INTERVAL
    while not should_stop.is_set():
        try:
            # An issuance may take the ACME server's whole validation (a minute at worst).
            heartbeat.beat("certificates", os.getpid(), ttl=interval * 3 + 180)
            pass_once()
        except Exception:
            log.exception("certificate pass failed; retrying")
            close_old_connections()
        should_stop.wait(interval)
