"""JSON shapes of the API's resources."""
from accounts.models import ApiToken, Membership, Team
from activity.models import Activity
from applications.models import App, Formation, Release
from applications.selectors import app_url, git_url
from builds.models import Build
from registry.selectors import tracking


def _time(value) -> str | None:
    return value.isoformat() if value else None


def app_json(app: App, *, live: Release | None = None) -> dict:
    image_repository, image_tag = tracking(app)
    return {
        "name": app.name,
        "team": app.team.name,
        "url": app_url(app),
        "git_url": git_url(app),
        "released_version": live.version if live else None,
        "checks": app.checks,
        "maintenance": app.maintenance,
        "redirect_https": app.redirect_https,
        "hsts": app.hsts,
        "sleeping": app.sleeping_since is not None,
        "sleeping_since": _time(app.sleeping_since),
        "image_repository": image_repository,  # None: no registry push deploys it
        "image_tag": image_tag,
        "builder": app.builder or None,
        "build_vars": app.build_vars,
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
        "autoscale": row.autoscale,  # null: the quantity is manual
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
        "started_at": _time(build.started_at),  # a build worker took it: the wait in the queue ends
        "finished_at": _time(build.finished_at),
        "duration_seconds": build.duration_seconds,
    }
    if with_output:
        data["output"] = build.output
    return data


def team_json(team: Team, *, role: str) -> dict:
    return {"name": team.name, "role": role, "created_at": _time(team.created_at)}


def member_json(membership: Membership) -> dict:
    return {"user": membership.user.get_username(), "role": membership.role}


def token_json(token: ApiToken) -> dict:
    return {
        "id": token.pk,
        "description": token.description,
        "created_at": _time(token.created_at),
        "last_used_at": _time(token.last_used_at),
    }


def activity_json(entry: Activity) -> dict:
    return {
        "app": entry.app_name or None,
        "actor": entry.actor_name or None,  # None: the platform itself
        "verb": entry.verb,
        "text": entry.text,
        "created_at": _time(entry.created_at),
    }
