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


def hooks_dir() -> Path:
    """A hooks directory whose pre-receive runs this install's Python; written when it differs."""
    directory = Path(settings.VAR_DIR) / "git-hooks"
    hook = directory / "pre-receive"
    text = (
        f"#!{sys.executable}\n"
        "# Written by the platform (builds/repositories.py): runs builds.pre_receive for every push.\n"
        "import sys\n"
        f"sys.path[:0] = [{str(ROOT_DIR)!r}, {str(ROOT_DIR / 'platform')!r}]\n"
        "from builds.pre_receive import main\n"
        "sys.exit(main())\n"
    )
    if not hook.exists() or hook.read_text() != text:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = hook.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.chmod(0o755)
        os.replace(tmp, hook)
    return directory
