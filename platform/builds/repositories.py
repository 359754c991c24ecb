"""Bare git repositories, one per app, and the pre-receive hook every push runs.

A repository's directory is named by the app's id, never its name: a name changes hands (a
rename frees it, a deletion too), an id never does, so an app created with a name another app
had never sees that app's commits. `/git/APP.git` is resolved to the app row by name first."""
import os
import shutil
import sys
from pathlib import Path

import git
from django.conf import settings

ROOT_DIR = Path(settings.ROOT_DIR)


def repository_path(app_id: int) -> Path:
    return Path(settings.PAAS_GIT_DIR) / f"{app_id}.git"


def repository_ensure(app_id: int) -> Path:
    path = repository_path(app_id)
    if not (path / "HEAD").exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        git.Repo.init(path, bare=True, initial_branch="main")
    return path


def repository_discard(app_id: int) -> None:
    shutil.rmtree(repository_path(app_id), ignore_errors=True)


def branch_head(app_id: int, ref: str) -> str | None:
    """The commit `ref` points at, or None if it does not exist (yet)."""
    try:
        return git.Repo(repository_path(app_id)).git.rev_parse("--verify", "--quiet", ref)
    except git.GitCommandError:
        return None


# One relay for both: pre-receive accepts or rejects the push, post-receive reports the rollout.
HOOKS = {"pre-receive": "builds.pre_receive", "post-receive": "builds.pre_receive"}


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
            f"sys.path[:0] = [{str(ROOT_DIR / 'platform')!r}]\n"
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
