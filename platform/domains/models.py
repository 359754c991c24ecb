"""Custom domains of apps and their certificates, and the platform's ACME accounts.

A domain's certificate is either the platform's to get over ACME (`acme`, Heroku ACM's automatic
certificates) or one its admins uploaded (`uploaded`). Private keys are Fernet ciphertext
(applications/config_crypto.py: a `_ciphertext` column is rotated with the config keys)."""
from django.db import models


class CertificateSource(models.TextChoices):
    ACME = "acme"
    UPLOADED = "uploaded"


class CertificateStatus(models.TextChoices):
    PENDING = "pending"
    ISSUED = "issued"
    FAILED = "failed"


class Domain(models.Model):
    app = models.ForeignKey("applications.App", on_delete=models.CASCADE, related_name="domains")
    # Cleaned by domains/hostname_rule.py: lowercase, IDNA (xn--) form, no trailing dot. One app
    # across the install has it.
    hostname = models.CharField(max_length=253, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    certificate_source = models.CharField(max_length=8, choices=CertificateSource.choices,
                                          default=CertificateSource.ACME)
    certificate_status = models.CharField(max_length=8, choices=CertificateStatus.choices,
                                          default=CertificateStatus.PENDING)
    # Why the last issuance failed; kept beside an `issued` status when a renewal failed and
    # the certificate still valid goes on serving.
    failure_reason = models.TextField(blank=True)
    chain_pem = models.TextField(blank=True)
    key_ciphertext = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    issuer = models.CharField(max_length=255, blank=True)
    # Failed issuances in a row, and when the next may be tried (the back-off of services.certificate_failed).
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # An admin asked for the automatic certificate to be renewed now (Heroku's certs:auto:refresh).
    renewal_requested = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.hostname


class AcmeAccount(models.Model):
    """The platform's account at one ACME directory: its key, made on first use, and the URL the
    server gave it (blank until it registered)."""

    directory = models.URLField(max_length=500, unique=True)
    key_ciphertext = models.TextField()
    account_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.directory
