"""Cloud Native Buildpacks builds: the `pack` CLI, run with an argument list, its output streamed.

pack needs its CLI and a builder image on the build host. Neither is fetched here: a host that
lacks one is told which, and how to get it."""
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from applications.config_vars import NAME
from builds.errors import BuildFailed
from builds.source import SourceArchive
from runtime.processes import BackendError
from runtime.scheduler import get_scheduler

# The worker's environment variables pack is given: where to find programs, its own home and
# the Docker engine (DOCKER_HOST, DOCKER_CONFIG... too).
PASSED_ON = {"PATH", "HOME", "PACK_HOME", "TMPDIR", "XDG_CONFIG_HOME", "SSL_CERT_FILE", "SSL_CERT_DIR"}


def pack_command(*, binary: str, tag: str, builder: str, path: Path, env_file: Path, network: str) -> list[str]:
    # The builder image is known to be present (checked first), and the run image it names comes
    # with it on a prepared host; "if-not-present" still lets a connected host fetch what it lacks.
    # The lifecycle's containers join the app's network, as a Dockerfile build's steps do.
    return [
        binary, "build", tag,
        "--builder", builder,
        "--path", str(path),
        "--env-file", str(env_file),
        "--network", network,
        "--pull-policy", "if-not-present",
        "--no-color",
    ]


def _process_environment() -> dict[str, str]:
    """What pack needs of the worker's environment, and nothing else: the worker's own secrets
    (DATABASE_URL, PAAS_CONFIG_KEYS...) must not reach a build."""
    passed = {name: value for name, value in os.environ.items() if name in PASSED_ON or name.startswith("DOCKER_")}
    return {**passed, "NO_COLOR": "1"}


def missing() -> str | None:
    """What this host lacks for a pack build, or None."""
    if shutil.which(settings.PAAS_PACK_BINARY) is None:
        return (
            f"the pack builder needs the pack CLI ({settings.PAAS_PACK_BINARY!r} is not on the build host's PATH): "
            "install it from https://buildpacks.io/docs/for-platform-operators/how-to/integrate-ci/pack/ "
            "or set PAAS_PACK_BINARY; or use the builtin buildpacks (builder: buildpack)"
        )
    try:
        builder_present = get_scheduler().image_exists(settings.PAAS_PACK_BUILDER)
    except BackendError as error:
        return f"the pack builder image {settings.PAAS_PACK_BUILDER!r} could not be looked up: {error}"
    if not builder_present:
        return (
            f"the pack builder image {settings.PAAS_PACK_BUILDER!r} is not on the build host: "
            f"docker pull it there (or docker load it on a host with no registry), or set PAAS_PACK_BUILDER"
        )
    return None


def _env_file(directory: Path, env: dict[str, str]) -> Path:
    """Build-time config vars in a file: an argument list would show their values to `ps`."""
    for name, value in env.items():
        # A line without "=" would make pack pass on a variable of its own environment.
        if not NAME.fullmatch(name):
            raise BuildFailed(f"{name!r} is not a config var name pack can pass to the build")
        if "\n" in value or "\r" in value:
            raise BuildFailed(f"the build-time config var {name} spans lines, which pack's --env-file cannot carry")
    path = directory / "build.env"
    path.write_text("".join(f"{name}={value}\n" for name, value in env.items()))
    path.chmod(0o600)
    return path


def build(*, source: SourceArchive, tag: str, env: dict[str, str], network: str, say: Callable[[str], None]) -> None:
    if (lacking := missing()) is not None:
        raise BuildFailed(lacking)
    with tempfile.TemporaryDirectory(prefix="paas-pack-") as scratch:
        app_dir = Path(scratch) / "app"
        app_dir.mkdir()
        source.extract_to(app_dir)
        command = pack_command(
            binary=settings.PAAS_PACK_BINARY, tag=tag, builder=settings.PAAS_PACK_BUILDER,
            path=app_dir, env_file=_env_file(Path(scratch), env), network=network,
        )
        say(f"-----> Building with Cloud Native Buildpacks ({settings.PAAS_PACK_BUILDER})")
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, errors="replace", env=_process_environment(),
        )
        with process.stdout:
            for line in process.stdout:
                say(line.rstrip("\n"))
        status = process.wait()
    if status != 0:
        raise BuildFailed(f"pack build exited with status {status}")
    if not get_scheduler().image_exists(tag):
        raise BuildFailed(f"pack build reported success but {tag} is not in the engine")
