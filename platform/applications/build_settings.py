"""How an app is built: its builder, and which config vars reach the build as build arguments."""
from activity.services import activity_record
from django.db import transaction
from paas.errors import UserError

from applications.config_vars import NAME, config_vars_get
from applications.models import App, Builder

MAX_BUILD_VARS = 50


def app_builder_set(*, app: App, user, builder) -> App:
    """`builder`: dockerfile, buildpack or pack; null (or "") goes back to choosing per push."""
    choices = [choice for choice in Builder.values if choice]
    if builder is None:
        builder = Builder.AUTO
    if not isinstance(builder, str) or builder not in Builder.values:
        raise UserError(f'"builder" must be one of {", ".join(choices)}, or null to choose per push')
    with transaction.atomic():
        app.builder = builder
        app.save(update_fields=["builder"])
        text = f"Set the builder to {builder}" if builder else "Builder chosen per push again"
        activity_record(team_id=app.team_id, app=app, actor=user, verb="settings", text=text)
    return app


def app_build_vars_set(*, app: App, user, names) -> App:
    """Mark these config vars (by name; their values stay in the config vars) as build-time."""
    if names is None:
        names = []
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise UserError('"build_vars" must be a list of config var names, e.g. ["PIP_INDEX_URL"]')
    for name in names:
        if not NAME.fullmatch(name):
            raise UserError(f"invalid config var name {name!r}: use letters, digits and underscores, not starting with a digit")
    if len(set(names)) > MAX_BUILD_VARS:
        raise UserError(f"at most {MAX_BUILD_VARS} build-time config vars")
    with transaction.atomic():
        app.build_vars = sorted(set(names))
        app.save(update_fields=["build_vars"])
        listed = ", ".join(app.build_vars) or "none"
        activity_record(team_id=app.team_id, app=app, actor=user, verb="settings", text=f"Build-time config vars: {listed}")
    return app


def build_args(app: App) -> dict[str, str]:
    """The build-time config vars that are set, as the build's arguments."""
    config = config_vars_get(app)
    return {name: config[name] for name in app.build_vars if name in config}
