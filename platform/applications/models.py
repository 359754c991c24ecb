from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

# A DNS label, so {app}.{domain} is a valid host name and the name is safe in paths and labels.
# \Z, not $: "$" would accept "name\n".
APP_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,28}[a-z0-9]\Z"
app_name_validator = RegexValidator(
    APP_NAME_PATTERN,
    "App names are 2 to 30 characters: lowercase letters, digits and dashes, starting with a "
    "letter and not ending with a dash.",
)


class Builder(models.TextChoices):
    """How a push becomes an image. Blank: a Dockerfile if the commit has one, else the builtin buildpacks."""

    AUTO = "", "auto"
    DOCKERFILE = "dockerfile"
    BUILDPACK = "buildpack"
    PACK = "pack"


class App(models.Model):
    name = models.CharField(max_length=30, unique=True, validators=[app_name_validator])
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="apps")
    # The app's config vars now (Fernet, applications/config_crypto.py); each release keeps its own copy.
    config_ciphertext = models.TextField(blank=True)
    # Health check settings the app chose ({"path", "wait", "timeout", "attempts", "interval"});
    # what is absent comes from the PAAS_CHECK_* settings.
    checks = models.JSONField(default=dict, blank=True)
    # The router answers 503 for the app; its processes keep running (Heroku's maintenance mode).
    maintenance = models.BooleanField(default=False)
    # Set while the app sleeps (scale to zero): its web processes are stopped and the router
    # sends its requests to the activator, which wakes it (applications/sleep.py).
    sleeping_since = models.DateTimeField(null=True, blank=True)
    # Plain HTTP for a name with a certificate gets a 308 to https:// (router/site.py), and HTTPS
    # answers carry HSTS: both off by default, as on Heroku.
    redirect_https = models.BooleanField(default=False)
    hsts = models.BooleanField(default=False)
    builder = models.CharField(max_length=16, choices=Builder.choices, default=Builder.AUTO, blank=True)
    # Names of config vars that reach the build as build arguments (a private package index, say);
    # their values stay in the config vars.
    build_vars = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


def image_command_only() -> dict[str, str]:
    """The process types of an image with no Procfile: `web` runs the image's own command."""
    return {"web": ""}


class ReleaseStatus(models.TextChoices):
    PENDING = "pending"
    DEPLOYING = "deploying"
    LIVE = "live"
    FAILED = "failed"
    RETIRED = "retired"


class Release(models.Model):
    """Version N of an app: an image, a snapshot of its config vars and its process types."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="releases")
    version = models.PositiveIntegerField()
    image = models.CharField(max_length=300)
    config_ciphertext = models.TextField(blank=True)
    # {"web": "command", "worker": "...", "release": "..."}; "" runs the image's own command.
    process_types = models.JSONField(default=image_command_only)
    build = models.ForeignKey("builds.Build", null=True, blank=True, on_delete=models.SET_NULL, related_name="releases")
    description = models.CharField(max_length=300)
    status = models.CharField(max_length=16, choices=ReleaseStatus.choices, default=ReleaseStatus.PENDING)
    failure_reason = models.TextField(blank=True)
    # What its rollout printed (release phase, checks, router switch), as a push shows it.
    output = models.TextField(blank=True)
    # When it stopped serving: its containers are stopped once the drain window has passed.
    retired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["app", "version"], name="one_release_per_version")]

    def __str__(self) -> str:
        return f"{self.app.name} v{self.version}"


class Formation(models.Model):
    """How many containers of a process type the app should run, and their limits.

    The reconciler keeps the engine matching these rows for the live release; scaling changes
    them without making a release, as on Heroku."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="formation")
    process_type = models.CharField(max_length=30)
    quantity = models.PositiveIntegerField()
    memory_mb = models.PositiveIntegerField()
    cpus = models.FloatField()
    # {"min", "max", "concurrency", "idle_seconds"} when the autoscaler sets the quantity
    # (applications/autoscale_rule.py); null: the quantity is the user's.
    autoscale = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["process_type"]
        constraints = [models.UniqueConstraint(fields=["app", "process_type"], name="one_formation_per_type")]

    def __str__(self) -> str:
        return f"{self.app.name} {self.process_type}={self.quantity}"
