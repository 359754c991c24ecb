"""Real packages from PyPI for builds that reach no internet: wheels the host's pip downloads
once per machine (var/cache/wheels), served as a PEP 503 index beside tests.support's
`greeting` on a PackageIndex test host."""
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support import ROOT, PackageIndex, require

CACHE = ROOT / "var" / "cache" / "wheels"


def _project(wheel: Path) -> str:
    """The PEP 503 name of the project a wheel belongs to (Django-5.2-py3-none-any.whl -> django)."""
    return re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()


def cached_wheels(requirements: list[str]) -> list[Path]:
    """Wheels for `requirements` and their dependencies (pure Python ones: any base image runs
    them), downloaded by the host's pip the first time and kept."""
    key = hashlib.sha256("\n".join(sorted(requirements)).encode()).hexdigest()[:16]
    directory = CACHE / key
    if not (directory.is_dir() and any(directory.glob("*.whl"))):
        CACHE.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=CACHE))
        download = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(scratch), *requirements],
            capture_output=True, text=True, timeout=600, check=False,
        )
        if download.returncode != 0:
            shutil.rmtree(scratch, ignore_errors=True)
        require(f"wheels of {', '.join(requirements)}", download.returncode == 0,
                f"the host's pip could not download them once into {CACHE}: {download.stderr.strip()[-300:]}")
        if directory.exists():
            shutil.rmtree(directory)
        scratch.rename(directory)  # whole or not at all, for the next run
    return sorted(directory.glob("*.whl"))


class WheelMirror(PackageIndex):
    """A PackageIndex that also serves these requirements' wheels from the cache."""

    def __init__(self, instance: str, requirements: list[str]) -> None:
        super().__init__(instance)
        self.wheels = cached_wheels(requirements)

    def __enter__(self) -> "WheelMirror":
        super().__enter__()
        projects: dict[str, list[str]] = {}
        for wheel in self.wheels:
            shutil.copy(wheel, self.root / wheel.name)
            projects.setdefault(_project(wheel), []).append(wheel.name)
        for project, names in projects.items():
            page = self.root / "simple" / project
            page.mkdir(parents=True, exist_ok=True)
            links = "".join(f'<a href="/{name}">{name}</a>\n' for name in names)
            (page / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")
        return self
