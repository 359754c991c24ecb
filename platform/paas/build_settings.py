"""The settings of builds (part of paas/settings.py, which imports them all)."""
import os
from pathlib import Path

from paas.environment import ROOT_DIR, env_float as _env_float, env_int as _env_int

# Builds: each step's container gets these limits (builds/docker_builder.py), and the whole
# build is stopped after PAAS_BUILD_TIMEOUT.
PAAS_BUILD_MEMORY_MB = _env_int("PAAS_BUILD_MEMORY_MB", 2048)
PAAS_BUILD_CPUS = _env_float("PAAS_BUILD_CPUS", 1.0)
PAAS_BUILD_PIDS_LIMIT = _env_int("PAAS_BUILD_PIDS_LIMIT", 1024)
# A push gives up waiting for its build after this long (dropping it if still queued); it is
# also the build job's own time limit once a worker takes it.
PAAS_BUILD_TIMEOUT = _env_int("PAAS_BUILD_TIMEOUT", 1800)
# The builtin buildpacks' base images (builds/buildpack_images.py): PAAS_<NAME>_BASE_IMAGE where set,
# else what `make base-images` (run by `make up`) built and listed in this file, read at each
# build so that images built while the platform runs are used without a restart.
PAAS_BASE_IMAGES = {
    name: os.environ[f"PAAS_{name.upper()}_BASE_IMAGE"]
    for name in ("python", "node", "static")
    if os.environ.get(f"PAAS_{name.upper()}_BASE_IMAGE")
}
PAAS_BASE_IMAGES_FILE = Path(os.environ.get("PAAS_BASE_IMAGES_FILE") or ROOT_DIR / "var" / "base-images.json")
# What else a Dockerfile may start FROM or COPY --from (builds/base_images.py): images on this host
# matching these names (`*` as in shell patterns, e.g. "paas-base/*"), and absent images from these
# registries, which the engine pulls. The buildpacks' base images are always allowed.
PAAS_BUILD_BASE_IMAGES = [p.strip() for p in os.environ.get("PAAS_BUILD_BASE_IMAGES", "paas-base/*").split(",") if p.strip()]
PAAS_BUILD_REGISTRIES = [r.strip() for r in os.environ.get("PAAS_BUILD_REGISTRIES", "docker.io").split(",") if r.strip()]
# Cloud Native Buildpacks, for apps whose builder is `pack`: the CLI and the builder image it uses.
PAAS_PACK_BINARY = os.environ.get("PAAS_PACK_BINARY", "pack")
PAAS_PACK_BUILDER = os.environ.get("PAAS_PACK_BUILDER", "heroku/builder:24")
