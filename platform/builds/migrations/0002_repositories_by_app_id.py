"""Move each app's bare repository from var/git/NAME.git to var/git/ID.git (builds/repositories.py).

Named by the app's name, a repository was left behind by a rename or a failed deletion under a
name another app could then take, and with it the commits. A migration runs once per database,
before any process of the new version serves git: no request can see the old layout. The
directories are moved only where the new one is absent, so a migration interrupted half way
finishes when it runs again."""
from pathlib import Path

from django.conf import settings
from django.db import migrations


def _move(apps, forward: bool) -> None:
    root = Path(settings.PAAS_GIT_DIR)
    for app_id, name in apps.get_model("applications", "App").objects.values_list("pk", "name"):
        by_name, by_id = root / f"{name}.git", root / f"{app_id}.git"
        source, target = (by_name, by_id) if forward else (by_id, by_name)
        if source.is_dir() and not target.exists():
            source.rename(target)


def forwards(apps, schema_editor) -> None:
    _move(apps, forward=True)


def backwards(apps, schema_editor) -> None:
    _move(apps, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("builds", "0001_initial"),
        ("applications", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
