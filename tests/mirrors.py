"""Local mirrors of PyPI and the npm registry for builds that reach no internet.

The host's own clients (pip, npm) fetch the packages once per machine into /var/cache/paas-tests/
(PAAS_TEST_CACHE), outside the checkout, so that CI's clean clone finds them as it finds the base
images in the engine; a mirror then serves them on a PackageIndex test host
(busybox httpd in a network namespace), as a company's index on another machine would. A
package the cache lacks while the registry is out of reach fails the test, saying so: a test
of real apps that quietly skipped would prove nothing.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Self

import pytest

from tests.support import PackageIndex

# Per machine, not per checkout (CI runs in a clean clone each time).
CACHE = Path(os.environ.get("PAAS_TEST_CACHE") or "/var/cache/paas-tests")
NPM_REGISTRY = "https://registry.npmjs.org/"
# What the base images' CPython is built for (Debian's glibc is newer than all of these).
LINUX_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "linux_x86_64")


def fetched(what: str, ok: bool, detail: str) -> None:
    """A download the tests need failed and nothing is cached: fail (never skip) saying what."""
    if not ok:
        pytest.fail(f"{what} could not be fetched once into {CACHE} (is the public registry reachable from this "
                    f"host?): {detail.strip()[-600:]}", pytrace=False)


def cached(directory: Path, make: Callable[[Path], None]) -> Path:
    """`directory`, made by `make(scratch)` the first time; whole or not at all, for the next run."""
    if directory.is_dir():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        make(scratch)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    scratch.rename(directory)
    return directory


def run_host(what: str, command: list[str], cwd: Path | None = None, timeout: float = 900) -> str:
    """A command of the host's own package tools; failing it fails the test with its words."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    fetched(what, result.returncode == 0, result.stderr or result.stdout)
    return result.stdout


def _key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def python_wheels(requirements: list[str], python_version: str) -> list[Path]:
    """Wheels of `requirements` and their dependencies for CPython `python_version` on Linux
    (compiled ones such as MarkupSafe's match the base image's interpreter), in
    CACHE/wheels/<version>/."""
    abi = f"cp{python_version.replace('.', '')}"
    platforms = [item for name in LINUX_PLATFORMS for item in ("--platform", name)]

    def download(scratch: Path) -> None:
        run_host(f"wheels of {', '.join(requirements)} for Python {python_version}", [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--only-binary=:all:",
            "--python-version", python_version, "--implementation", "cp", "--abi", abi, "--abi", "abi3",
            "--abi", "none", *platforms, "--dest", str(scratch), *requirements,
        ])

    directory = cached(CACHE / "wheels" / python_version / _key(*sorted(requirements)), download)
    return sorted(directory.glob("*.whl"))


def _project(wheel: Path) -> str:
    """The PEP 503 name of a wheel's project (MarkupSafe-3.0.2-cp314-...whl -> markupsafe)."""
    return re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()


class PythonMirror(PackageIndex):
    """A PEP 503 index of real wheels for one Python version (PIP_INDEX_URL, PIP_TRUSTED_HOST)."""

    def __init__(self, instance: str, requirements: list[str], python_version: str) -> None:
        super().__init__(instance)
        self.wheels = python_wheels(requirements, python_version)

    def __enter__(self) -> Self:
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


def lockfile_packages(lockfile: dict) -> dict[str, str]:
    """{registry path: "name@version"} of every package a package-lock.json (v2/v3) resolves
    from the public registry, the path being what npm asks a registry it was pointed at for
    (npm ci swaps the lockfile's registry host for the configured one: replace-registry-host)."""
    packages = {}
    for location, entry in lockfile.get("packages", {}).items():
        resolved = entry.get("resolved", "")
        if location and resolved.startswith(NPM_REGISTRY):
            name = location.rsplit("node_modules/", 1)[1]
            packages[resolved.removeprefix(NPM_REGISTRY)] = f"{name}@{entry['version']}"
    return packages


def _packed_name(spec: str) -> str:
    """The file `npm pack` writes for name@version (@types/node@1.0.0 -> types-node-1.0.0.tgz)."""
    name, version = spec.rsplit("@", 1)
    return f"{name.removeprefix('@').replace('/', '-')}-{version}.tgz"


def npm_tarballs(lockfile: dict) -> Path:
    """The lockfile's packages as the host's `npm pack` fetches them, laid out at their registry
    paths (/<name>/-/<name>-<version>.tgz), in CACHE/npm/."""
    packages = lockfile_packages(lockfile)
    fetched("npm packages", bool(packages), "the lockfile resolves nothing from the public registry "
            "(written with omit-lockfile-registry-resolved?)")

    def pack(scratch: Path) -> None:
        packed = scratch / ".packed"
        packed.mkdir()
        run_host(f"{len(packages)} npm packages", ["npm", "pack", "--silent", f"--registry={NPM_REGISTRY}",
                                                   "--pack-destination", str(packed), *sorted(set(packages.values()))])
        for path, spec in packages.items():
            (scratch / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(packed / _packed_name(spec), scratch / path)
        shutil.rmtree(packed)

    return cached(CACHE / "npm" / _key(*sorted(packages)), pack)


class NpmMirror(PackageIndex):
    """The tarballs a lockfile names, served at the registry's own paths (NPM_CONFIG_REGISTRY).
    Tarballs alone are enough for `npm ci`: with a lockfile, npm asks for no package document."""

    def __init__(self, instance: str, lockfile_text: str) -> None:
        super().__init__(instance)
        self.tarballs = npm_tarballs(json.loads(lockfile_text))
        self.registry = f"http://{self.address}:8000/"

    def __enter__(self) -> Self:
        super().__enter__()
        shutil.copytree(self.tarballs, self.root, dirs_exist_ok=True)
        return self

    def build_config(self) -> dict[str, str]:
        return {"NPM_CONFIG_REGISTRY": self.registry}
