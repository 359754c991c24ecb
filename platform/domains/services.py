"""Changing domains and their certificates: what admins do (add, remove, upload, go back to an
automatic certificate) and what the certificate manager records (issued, failed), each in the
activity log, and each change the router serves queued as a re-route of the app on commit.

A private key is only ever held here encrypted (key_ciphertext): no activity record, log line
or message carries it."""
import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from activity.services import activity_record
from applications import job_queue
from applications.config_crypto import decrypt_secret, encrypt_secret
from domains import acme_client
from domains.certificates import certificate_check, certificate_summary
from domains.hostname_rule import hostname_clean
from domains.models import AcmeAccount, CertificateSource, CertificateStatus, Domain
from domains.selectors import domain_of_app
from paas.errors import Conflict

MAX_RETRY_SECONDS = 6 * 3600
MAX_REASON = 2000


def _day(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _reroute(app_id: int) -> None:
    job_queue.enqueue_app_job_on_commit("traffic_reroute", app_id)


def _certificate_cleared(domain: Domain) -> list[str]:
    domain.chain_pem = domain.key_ciphertext = domain.issuer = ""
    domain.expires_at = None
    return ["chain_pem", "key_ciphertext", "issuer", "expires_at"]


def _retry_cleared(domain: Domain) -> list[str]:
    domain.failure_reason = ""
    domain.attempts = 0
    domain.next_attempt_at = None
    domain.renewal_requested = False
    return ["failure_reason", "attempts", "next_attempt_at", "renewal_requested"]


def domain_add(*, app, user, hostname) -> Domain:
    """Add a custom domain to the app: served over HTTP at once, over HTTPS once it has a certificate."""
    hostname = hostname_clean(hostname)
    # One message whoever has it: it tells nothing of an app the user may not see.
    taken = Conflict(f"{hostname} is already in use by another app")
    try:
        with transaction.atomic():
            existing = Domain.objects.filter(hostname=hostname).values_list("app_id", flat=True).first()
            if existing == app.pk:
                raise Conflict(f"{hostname} is already a domain of {app.name}")
            if existing is not None:
                raise taken
            domain = Domain.objects.create(app=app, hostname=hostname)
            activity_record(team_id=app.team_id, app=app, actor=user, verb="domain", text=f"Added domain {hostname}")
            _reroute(app.pk)
    except IntegrityError:  # another request added it since the look
        raise taken from None
    return domain


def domain_remove(*, app, user, hostname: str) -> Domain:
    """Stop serving the domain (and its certificate); the removed domain, as it was."""
    with transaction.atomic():
        domain = domain_of_app(app, hostname)
        domain.delete()
        activity_record(team_id=app.team_id, app=app, actor=user, verb="domain",
                        text=f"Removed domain {domain.hostname}")
        _reroute(app.pk)
    return domain


def certificate_upload(*, app, user, hostname: str, chain_pem, key_pem) -> Domain:
    """Serve the domain with the admin's own certificate (checked first); the platform stops getting one."""
    with transaction.atomic():
        domain = domain_of_app(app, hostname)
        checked = certificate_check(domain.hostname, chain_pem, key_pem, timezone.now())
        domain.certificate_source = CertificateSource.UPLOADED
        domain.certificate_status = CertificateStatus.ISSUED
        domain.chain_pem = checked.chain_pem
        domain.key_ciphertext = encrypt_secret(checked.key_pem)
        domain.expires_at = checked.expires_at
        domain.issuer = checked.issuer
        domain.save(update_fields=["certificate_source", "certificate_status", "chain_pem", "key_ciphertext",
                                   "expires_at", "issuer", *_retry_cleared(domain)])
        activity_record(team_id=app.team_id, app=app, actor=user, verb="certificate",
                        text=f"Uploaded a certificate for {domain.hostname} from {checked.issuer}, "
                             f"expires {_day(checked.expires_at)}")
        _reroute(app.pk)
    return domain


def certificate_automatic(*, app, user, hostname: str) -> Domain:
    """Drop the uploaded certificate: the platform gets one over ACME (the domain is pending until
    then, served over HTTP). A domain whose certificate is automatic already is left as it is."""
    with transaction.atomic():
        domain = domain_of_app(app, hostname)
        if domain.certificate_source == CertificateSource.ACME:
            return domain
        domain.certificate_source = CertificateSource.ACME
        domain.certificate_status = CertificateStatus.PENDING
        domain.save(update_fields=["certificate_source", "certificate_status", *_certificate_cleared(domain),
                                   *_retry_cleared(domain)])
        activity_record(team_id=app.team_id, app=app, actor=user, verb="certificate",
                        text=f"Removed the uploaded certificate of {domain.hostname}; it gets an automatic one")
        _reroute(app.pk)
    return domain


def certificate_renew(*, app, user, hostname: str) -> Domain:
    """Ask for the automatic certificate to be renewed now; it serves until the new one is in."""
    with transaction.atomic():
        domain = domain_of_app(app, hostname)
        if domain.certificate_source != CertificateSource.ACME:
            raise Conflict(f"{domain.hostname} has an uploaded certificate: upload its renewal, or DELETE it to "
                           "go back to an automatic one")
        if domain.certificate_status != CertificateStatus.ISSUED:
            raise Conflict(f"{domain.hostname} has no certificate to renew yet ({domain.certificate_status}): "
                           "the certificate manager is getting one")
        domain.renewal_requested, domain.next_attempt_at = True, None
        domain.save(update_fields=["renewal_requested", "next_attempt_at"])
        activity_record(team_id=app.team_id, app=app, actor=user, verb="certificate",
                        text=f"Asked for the certificate of {domain.hostname} to be renewed")
    return domain


def domains_due(now: datetime.datetime) -> QuerySet[Domain]:
    """The domains whose certificate is the platform's to get now: new ones, failed ones whose
    back-off has passed, and issued ones within PAAS_ACME_RENEW_DAYS of expiry or asked to renew
    (a renewal that failed waits out its back-off too)."""
    renew_by = now + datetime.timedelta(days=settings.PAAS_ACME_RENEW_DAYS)
    return Domain.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(certificate_status__in=[CertificateStatus.PENDING, CertificateStatus.FAILED])
        | Q(certificate_status=CertificateStatus.ISSUED, expires_at__lte=renew_by)
        | Q(certificate_status=CertificateStatus.ISSUED, renewal_requested=True),
        certificate_source=CertificateSource.ACME,
    ).order_by("next_attempt_at", "pk")


def _acme_domain(domain_id: int) -> Domain | None:
    """The domain, locked, if its certificate is still the platform's to get (not deleted, nothing uploaded since)."""
    return (Domain.objects.select_for_update().select_related("app")
            .filter(pk=domain_id, certificate_source=CertificateSource.ACME).first())


def certificate_issued(domain_id: int, chain_pem: str, key_pem: str) -> Domain | None:
    """Install the certificate the ACME server issued; None if the domain is gone or uploaded its own meanwhile."""
    summary = certificate_summary(chain_pem)
    with transaction.atomic():
        domain = _acme_domain(domain_id)
        if domain is None:
            return None
        domain.certificate_status = CertificateStatus.ISSUED
        domain.chain_pem = chain_pem
        domain.key_ciphertext = encrypt_secret(key_pem)
        domain.expires_at = summary.expires_at
        domain.issuer = summary.issuer
        domain.save(update_fields=["certificate_status", "chain_pem", "key_ciphertext", "expires_at", "issuer",
                                   *_retry_cleared(domain)])
        activity_record(team_id=domain.app.team_id, app=domain.app, verb="certificate",
                        text=f"Certificate issued for {domain.hostname} by {summary.issuer}, "
                             f"expires {_day(summary.expires_at)}")
        _reroute(domain.app_id)
    return domain


def retry_delay(attempts: int) -> datetime.timedelta:
    """How long after its `attempts`-th failure in a row a domain is tried again: doubling, up to 6 hours."""
    return datetime.timedelta(seconds=min(settings.PAAS_ACME_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS))


def certificate_failed(domain_id: int, reason: str) -> Domain | None:
    """Record a failed issuance and when to try again. A renewal that failed leaves the certificate
    that is still valid serving (the domain stays issued, the reason recorded); one that has
    expired stops being served, so that HTTP (and its redirect) keeps working."""
    now = timezone.now()
    with transaction.atomic():
        domain = _acme_domain(domain_id)
        if domain is None:
            return None
        first = domain.attempts == 0
        domain.attempts += 1
        domain.next_attempt_at = now + retry_delay(domain.attempts)
        # A renewal asked for is tried once now; after that the renewal window and back-off decide.
        domain.renewal_requested = False
        changed = ["attempts", "next_attempt_at", "failure_reason", "certificate_status", "renewal_requested"]
        renewing = domain.certificate_status == CertificateStatus.ISSUED and domain.chain_pem
        if renewing and domain.expires_at is not None and domain.expires_at > now:
            domain.failure_reason = (f"renewal failed (the certificate serves until {_day(domain.expires_at)}): "
                                     f"{reason}")[:MAX_REASON]
        else:
            domain.certificate_status = CertificateStatus.FAILED
            domain.failure_reason = str(reason)[:MAX_REASON]
            if domain.chain_pem:
                changed += _certificate_cleared(domain)
                _reroute(domain.app_id)
        domain.save(update_fields=changed)
        if first:  # not once per retry: the log would fill with the same failure every few hours
            activity_record(team_id=domain.app.team_id, app=domain.app, verb="certificate",
                            text=f"Certificate for {domain.hostname} failed: {domain.failure_reason} (retrying)")
    return domain


def acme_account_key(directory: str) -> str:
    """The platform's account key (PEM) at the ACME directory, made and stored on first use."""
    account = AcmeAccount.objects.filter(directory=directory).first()
    if account is None:
        key_pem = acme_client.new_account_key_pem()
        try:
            with transaction.atomic():
                account = AcmeAccount.objects.create(directory=directory, key_ciphertext=encrypt_secret(key_pem))
        except IntegrityError:  # another process made it first: theirs is the account
            account = AcmeAccount.objects.get(directory=directory)
    return decrypt_secret(account.key_ciphertext)


def acme_account_url(directory: str) -> str:
    """The URL the ACME server gave the account; "" before it registered."""
    return AcmeAccount.objects.filter(directory=directory).values_list("account_url", flat=True).first() or ""


def acme_account_url_set(directory: str, url: str) -> None:
    AcmeAccount.objects.filter(directory=directory).exclude(account_url=url).update(account_url=url)
