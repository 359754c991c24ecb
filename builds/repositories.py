"""Bare git repositories, one per app, and the pre-receive hook every push runs."""
import os
import sys
from pathlib import Path

import git
from django.conf import settings

ROOT_DIR = Path(settings.ROOT_DIR)


def repository_path(app_name: str) -> Path:
    return Path(settings.PAAS_GIT_DIR) / f"{app_name}.git"


def repository_ensure(app_name: str) -> Path:
    path = repository_path(app_name)
    if not (path / "HEAD").exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        git.Repo.init(path, bare=True, initial_branch="main")
    return path


HOOKS = {"pre-receive": "builds.pre_receive"}


def hooks_dir() -> Path:
    """A hooks directory whose hooks run this install's Python; rewritten only when they differ.

    The hooks need the standard library only, so Python starts isolated and without site (-IS)."""
    directory = Path(settings.VAR_DIR) / "git-hooks"
    for name, module in HOOKS.items():
        hook = directory / name
        text = (
            f"#!{sys.executable} -IS\n"
            f"# Written by the platform (builds/repositories.py): runs {module} for every push.\n"
            "import sys\n"
            f"sys.path[:0] = [{str(ROOT_DIR)!r}, {str(ROOT_DIR / 'platform')!r}]\n"
            f"from {module} import main\n"
            "sys.exit(main())\n"
        )
        if not hook.exists() or hook.read_text() != text:
            directory.mkdir(parents=True, exist_ok=True)
            tmp = hook.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.chmod(0o755)
            os.replace(tmp, hook)
    for stale in directory.iterdir():
        if stale.name not in HOOKS:
            stale.unlink()
    return directory
