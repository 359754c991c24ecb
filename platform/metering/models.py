"""Usage, per app and process type, in hourly buckets: what pay-per-use would bill."""
from django.db import models


class UsageBucket(models.Model):
    """One process type's usage in one UTC hour. The metrics sampler adds to it every sample
    (metering.meter); GB is 2**30 bytes (a GiB, as serverless platforms bill memory)."""

    app = models.ForeignKey("applications.App", on_delete=models.CASCADE, related_name="usage_buckets")
    process_type = models.CharField(max_length=30)
    hour = models.DateTimeField()  # the start of the UTC hour
    container_seconds = models.FloatField(default=0)
    cpu_seconds = models.FloatField(default=0)  # vCPU-seconds used (the cgroup's CPU time), not the limit
    memory_reserved_gb_seconds = models.FloatField(default=0)  # memory limit x running time
    memory_used_gb_seconds = models.FloatField(default=0)  # memory in use x running time
    requests = models.BigIntegerField(default=0)  # router requests, on the `web` row

    class Meta:
        ordering = ["hour", "process_type"]
        constraints = [
            models.UniqueConstraint(fields=["app", "process_type", "hour"], name="one_usage_bucket_per_type_and_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.app_id} {self.process_type} {self.hour:%Y-%m-%d %H}:00"
