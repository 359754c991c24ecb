from django.db import models

DEFAULT_TAG = "latest"


class TrackedImage(models.Model):
    """The image an app deploys from a registry, and the webhook the registry notifies.

    The row outlives a change of repository, and stopping tracking only blanks `repository`:
    the webhook's URL and token stay what the registry was configured with."""

    app = models.OneToOneField("applications.App", on_delete=models.CASCADE, related_name="tracked_image")
    # "127.0.0.1:5000/shop" (registry host, then the name); "" while the app tracks no image.
    repository = models.CharField(max_length=255, blank=True)
    tag = models.CharField(max_length=128, default=DEFAULT_TAG)
    # The webhook URL's last part. Random rather than the app's name (a rename must not break the
    # registry's config) or its id (which would tell anyone how many apps there are).
    hook_id = models.CharField(max_length=32, unique=True)
    # Fernet, with the config vars' keys (applications/config_crypto.py): the API shows the token
    # again, so a digest would not do; a database dump alone does not give it away.
    token_ciphertext = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.app_id}: {self.repository or '(nothing)'}:{self.tag}"


class NotificationStatus(models.TextChoices):
    QUEUED = "queued"  # accepted; its job has not started
    PULLING = "pulling"
    RELEASED = "released"  # `release` is the release it made (its rollout is the release's status)
    FAILED = "failed"  # the pull failed; `reason` has the engine's answer
    IGNORED = "ignored"  # stale, superseded, or an image already received: `reason` says which


class ImageNotification(models.Model):
    """One push of the tracked repository and tag a registry told us about: one digest, one release."""

    app = models.ForeignKey("applications.App", on_delete=models.CASCADE, related_name="image_notifications")
    # sha256:...; null only for a Docker Hub notification (they carry none) until its pull tells it.
    digest = models.CharField(max_length=71, null=True, blank=True)
    repository = models.CharField(max_length=255)  # as tracked when it came: what the job pulls
    tag = models.CharField(max_length=128)
    event_id = models.CharField(max_length=100, blank=True)  # the registry's, for reading its logs
    # When the registry says the push happened: how reordered notifications are put back in order.
    pushed_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED)
    reason = models.TextField(blank=True)
    release = models.ForeignKey("applications.Release", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pushed_at"]
        constraints = [models.UniqueConstraint(fields=["app", "digest"], name="one_notification_per_digest")]

    def __str__(self) -> str:
        return f"{self.repository}@{self.digest or self.tag} ({self.status})"

    @property
    def reference(self) -> str:
        """What to pull: the digest if known, else (Docker Hub) the tag."""
        return f"{self.repository}@{self.digest}" if self.digest else f"{self.repository}:{self.tag}"
