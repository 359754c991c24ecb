"""A control group of each build's own, for the one limit the engine's build API cannot set: how
many processes the build's steps may run at once (a fork bomb in a RUN line would otherwise
take the host's process table). The engine puts every step's container under it, so the limit
holds for the build as a whole. Memory and CPU are limited per step by the build API itself.
"""
import contextlib
import functools
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from builds.errors import BuildFailed

CGROUP_ROOT = Path("/sys/fs/cgroup")


@functools.cache
def _engine_cgroups() -> tuple[str, str]:
    """(driver, version) of the engine's cgroups: ("cgroupfs" | "systemd", "1" | "2"); they change
    only with a restart of dockerd on another host setup, so asked once per process."""
    from runtime.docker.engine import docker_client

    info = docker_client().info()
    return info.get("CgroupDriver", "cgroupfs"), str(info.get("CgroupVersion", "1"))


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as error:
        raise BuildFailed(f"cannot limit the build's processes ({path}: {error.strerror})") from None


def _cgroupfs_v1(parent: str, pids: int) -> Path:
    group = CGROUP_ROOT / "pids" / parent.lstrip("/")
    group.mkdir(parents=True, exist_ok=True)
    _write(group / "pids.max", str(pids))
    return group


def _cgroupfs_v2(parent: str, pids: int) -> Path:
    group = CGROUP_ROOT / parent.lstrip("/")
    group.mkdir(parents=True, exist_ok=True)
    for directory in reversed(group.relative_to(CGROUP_ROOT).parents):
        # Each level must hand the pids controller down to the next for the limit to apply.
        _write(CGROUP_ROOT / directory / "cgroup.subtree_control", "+pids")
    _write(group / "pids.max", str(pids))
    return group


def _remove_cgroupfs(parent: str) -> None:
    """The engine made the group in every hierarchy it uses; remove it, and its instance folder
    once empty, from each (a group still in use stays: rmdir refuses it)."""
    relative = Path(parent.lstrip("/"))
    for hierarchy in [CGROUP_ROOT, *(p for p in CGROUP_ROOT.iterdir() if p.is_dir())]:
        for directory in (relative, relative.parent):
            with contextlib.suppress(OSError):
                (hierarchy / directory).rmdir()


def _systemd_slice(name: str, pids: int) -> str:
    unit = f"{name}.slice"
    result = subprocess.run(
        ["systemctl", "set-property", "--runtime", unit, f"TasksMax={pids}"], capture_output=True, text=True, timeout=30
    )
    if result.returncode != 0:
        raise BuildFailed(f"cannot limit the build's processes (systemctl: {result.stderr.strip()})")
    return unit


@dataclass(frozen=True)
class BuildCgroup:
    parent: str  # the engine's cgroup parent for the build's steps
    driver: str

    def kill(self) -> None:
        """SIGKILL every process of the build's steps: closing the build API call does not stop
        the engine's classic builder, which would finish the step (and cache it)."""
        if self.driver == "systemd":
            subprocess.run(["systemctl", "kill", "--signal=SIGKILL", self.parent], capture_output=True, timeout=30)
            return
        for hierarchy in (CGROUP_ROOT / "pids", CGROUP_ROOT):
            group = hierarchy / self.parent.lstrip("/")
            for procs in group.rglob("cgroup.procs") if group.is_dir() else ():
                for pid in procs.read_text().split():
                    with contextlib.suppress(ProcessLookupError, ValueError):
                        os.kill(int(pid), signal.SIGKILL)


def _systemd_name(build_id: int) -> str:
    # systemd names nest by dashes: paas-INSTANCE-builds.slice holds paas-INSTANCE-builds-N.slice.
    return f"paas-{settings.PAAS_INSTANCE}-builds-{build_id}"


def _cgroupfs_parent(build_id: int) -> str:
    return f"/paas-{settings.PAAS_INSTANCE}-builds/{build_id}"


def build_steps_kill(build_id: int) -> None:
    """Stop what a build whose worker died left running: the engine's builder carries on with
    the step it was given (a slow RUN line would hold its CPU and memory to the end)."""
    driver, _ = _engine_cgroups()
    if driver == "systemd":
        BuildCgroup(f"{_systemd_name(build_id)}.slice", driver).kill()
        return
    BuildCgroup(_cgroupfs_parent(build_id), driver).kill()
    _remove_cgroupfs(_cgroupfs_parent(build_id))


@contextlib.contextmanager
def build_cgroup(build_id: int) -> Iterator[BuildCgroup]:
    """The build's cgroup for the engine's build API, limited to PAAS_BUILD_PIDS_LIMIT processes."""
    driver, version = _engine_cgroups()
    pids = settings.PAAS_BUILD_PIDS_LIMIT
    if driver == "systemd":
        yield BuildCgroup(_systemd_slice(_systemd_name(build_id), pids), driver)
        return
    parent = _cgroupfs_parent(build_id)
    (_cgroupfs_v2 if version == "2" else _cgroupfs_v1)(parent, pids)
    try:
        yield BuildCgroup(parent, driver)
    finally:
        _remove_cgroupfs(parent)
