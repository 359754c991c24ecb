"""A release as the scheduler runs it (runtime.plan.ReleasePlan), built from the database here
and nowhere else: image, decrypted config, formation, release command, checks, host names."""
from types import MappingProxyType

from django.conf import settings

from applications import config_crypto
from applications.formation import formation_ensure
from applications.hostnames import app_host_names
from applications.models import App, Release
from applications.procfile import RELEASE_PHASE, shell_command
from router.forwarding import check_headers
from runtime.healthcheck import CheckSettings
from runtime.plan import ProcessGroup, ReleasePlan


def app_checks(app: App) -> CheckSettings:
    """The platform's defaults overridden by the app's own settings. A path the app sets names a
    health endpoint, so only 2xx and 3xx pass it; the default `/` passes any answer below 500."""
    checks = {**CheckSettings.defaults().__dict__, **(app.checks or {})}
    if (app.checks or {}).get("path"):
        checks["passing_below"] = 400
    return CheckSettings(**checks)


def release_plan(release: Release, app: App | None = None) -> ReleasePlan:
    """The plan of `release` for `app` as it is now (its name, checks and formation); ConfigKeyError
    if its config cannot be decrypted."""
    app = app or release.app
    groups = tuple(
        ProcessGroup(
            process_type=row.process_type,
            command=shell_command(release.process_types.get(row.process_type, "")),
            quantity=row.quantity,
            memory_mb=row.memory_mb,
            cpus=row.cpus,
        )
        for row in formation_ensure(app, release).values()
    )
    release_command = release.process_types.get(RELEASE_PHASE) or ""
    return ReleasePlan(
        app_id=app.pk,
        app=app.name,
        version=release.version,
        image=release.image,
        env=MappingProxyType(config_crypto.decrypt(release.config_ciphertext)),
        groups=groups,
        checks=app_checks(app),
        host_names=tuple(app_host_names(app)),
        check_headers=MappingProxyType(check_headers()),
        release_command=release_command,
        release_argv=tuple(shell_command(release_command) or ()),
        release_memory_mb=settings.PAAS_DEFAULT_MEMORY_MB,
        release_cpus=settings.PAAS_DEFAULT_CPUS,
    )
