"""Writes for builds; light enough for the git hook to import (no Docker SDK)."""
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction

from applications.models import App
from builds import output
from builds.models import Build
from paas.queueing import enqueue_on_commit


def source_path(build_id: int) -> Path:
    return Path(settings.PAAS_BUILD_DIR) / f"{build_id}.tar"


def image_tag(app: App, build: Build) -> str:
    # By the app's id, not its name: a name is freed by a rename or a deletion and can be taken by
    # another team, whose builds must not find this app's images under it.
    return f"paas-{settings.PAAS_INSTANCE}/app-{app.pk}:build-{build.pk}"


def build_job_id(build_id: int) -> str:
    return f"paas-{settings.PAAS_INSTANCE}-build-{build_id}"


def build_create(
    *, app: App, user, commit: str, ref: str, push_id: str, write_source: Callable[[Path], None]
) -> Build:
    """Record the build, let `write_source(path)` store its source, and queue it for the push `push_id`."""
    build_dir = Path(settings.PAAS_BUILD_DIR)
    build_dir.mkdir(parents=True, exist_ok=True)
    # Archive before the transaction: a big repository must not hold SQLite's write lock.
    with tempfile.NamedTemporaryFile(dir=build_dir, suffix=".tar", delete=False) as staged:
        staged_path = Path(staged.name)
    try:
        write_source(staged_path)
        with transaction.atomic():
            build = Build.objects.create(app=app, created_by=user, commit=commit, ref=ref)
            os.replace(staged_path, source_path(build.pk))
            # What an earlier install left under this build id must go before the build writes any.
            transaction.on_commit(lambda: output.discard(build.pk))
            enqueue_on_commit(settings.PAAS_BUILD_QUEUE, "builds.jobs.run_build", build.pk, push_id,
                              job_id=build_job_id(build.pk), job_timeout=settings.PAAS_BUILD_TIMEOUT)
    finally:
        staged_path.unlink(missing_ok=True)
    return build
