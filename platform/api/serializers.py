"""JSON shapes of the API's resources."""
from django.conf import settings

from applications.models import App, Formation, Release
from builds.models import Build


def _time(value) -> str | None:
    return value.isoformat() if value else None


def app_json(app: App, *, live: Release | None = None) -> dict:
    return {
        "name": app.name,
        "team": app.team.name,
        "url": f"http://{app.name}.{settings.PAAS_APPS_DOMAIN}:{settings.PAAS_ROUTER_PORT}/",
        "git_url": f"http://{settings.PAAS_WEB_HOST}:{settings.PAAS_WEB_PORT}/git/{app.name}.git",
        "released_version": live.version if live else None,
        "checks": app.checks,
        "created_at": _time(app.created_at),
    }


def release_json(release: Release, *, with_output: bool = False) -> dict:
    data = {
        "version": release.version,
        "status": release.status,
        "image": release.image,
        "process_types": release.process_types,
        "description": release.description,
        "failure_reason": release.failure_reason,
        "build": release.build_id,
        "created_by": release.created_by.username if release.created_by else None,
        "created_at": _time(release.created_at),
    }
    if with_output:
        data["output"] = release.output
    return data


def formation_json(row: Formation, live: Release | None) -> dict:
    return {
        "type": row.process_type,
        "quantity": row.quantity,
        "memory_mb": row.memory_mb,
        "cpus": row.cpus,
        "command": (live.process_types.get(row.process_type) if live else None) or None,
    }


def build_json(build: Build, *, with_output: bool = False) -> dict:
    data = {
        "id": build.pk,
        "status": build.status,
        "commit": build.commit,
        "ref": build.ref,
        "image": build.image,
        "failure_reason": build.failure_reason,
        "created_by": build.created_by.username if build.created_by else None,
        "created_at": _time(build.created_at),
        "finished_at": _time(build.finished_at),
    }
    if with_output:
        data["output"] = build.output
    return data
