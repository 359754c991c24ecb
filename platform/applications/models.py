from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

# A DNS label, so {app}.{domain} is a valid host name and the name is safe in paths and labels.
APP_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,28}[a-z0-9]$"
app_name_validator = RegexValidator(
    APP_NAME_PATTERN,
    "App names are 2 to 30 characters: lowercase letters, digits and dashes, starting with a "
    "letter and not ending with a dash.",
)


class App(models.Model):
    name = models.CharField(max_length=30, unique=True, validators=[app_name_validator])
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="apps")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class ReleaseStatus(models.TextChoices):
    PENDING = "pending"
    DEPLOYING = "deploying"
    LIVE = "live"
    FAILED = "failed"
    RETIRED = "retired"


class Release(models.Model):
    """An image rolled out as version N of an app."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="releases")
    version = models.PositiveIntegerField()
    image = models.CharField(max_length=300)
    build = models.ForeignKey("builds.Build", null=True, blank=True, on_delete=models.SET_NULL, related_name="releases")
    description = models.CharField(max_length=300)
    status = models.CharField(max_length=16, choices=ReleaseStatus.choices, default=ReleaseStatus.PENDING)
    failure_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["app", "version"], name="one_release_per_version")]

    def __str__(self) -> str:
        return f"{self.app.name} v{self.version}"
