from django.conf import settings
from django.db import models


class BuildStatus(models.TextChoices):
    PENDING = "pending"
    BUILDING = "building"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Build(models.Model):
    """Source turned into an image; its output is kept here once the build ends."""

    app = models.ForeignKey("applications.App", on_delete=models.CASCADE, related_name="builds")
    status = models.CharField(max_length=16, choices=BuildStatus.choices, default=BuildStatus.PENDING)
    commit = models.CharField(max_length=40)
    ref = models.CharField(max_length=255)
    image = models.CharField(max_length=300, blank=True)
    output = models.TextField(blank=True)
    failure_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # When a build worker took it (the time before is its wait in the queue), and when it ended.
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def duration_seconds(self) -> float | None:
        """How long the build ran (queue wait and rollout not included), once it has ended."""
        if self.started_at is None or self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 1)
