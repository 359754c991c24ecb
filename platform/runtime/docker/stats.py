"""Reading a container's CPU and memory counters from the engine, as `docker stats` shows them."""
import time

import docker
import docker.errors
import requests.exceptions

from runtime.processes import BackendError, Process, ProcessStats
from runtime.docker.engine import explain


def _memory_without_cache(memory: dict) -> int:
    """Usage minus inactive page cache, the figure `docker stats` shows: the kernel reclaims that
    cache before it would kill the process, so counting it would make every app look nearly full."""
    usage, counters = memory["usage"], memory.get("stats") or {}
    # cgroup v1 reports the hierarchy's total as total_inactive_file; v2 has only inactive_file.
    inactive = counters.get("total_inactive_file", counters.get("inactive_file", 0))
    return usage - inactive if inactive < usage else usage


def read(client: docker.DockerClient, process: Process) -> ProcessStats | None:
    """One reading of the process's counters, None if it is gone or not running."""
    # one_shot: without it the engine waits a second or two to fill in a "previous" reading we
    # do not use (the sampler keeps its own previous reading).
    try:
        raw = client.api.stats(process.id, stream=False, one_shot=True)
    except (docker.errors.NotFound, ValueError):
        # ValueError: a half-written answer (JSONDecodeError) of a container being removed just then.
        return None
    except docker.errors.InvalidVersion:
        raise BackendError("metrics need Docker Engine API 1.41 (Docker 20.10) or newer; upgrade Docker") from None
    except docker.errors.APIError as error:
        raise BackendError(f"the engine could not read the stats of {process.label}: {explain(error)}") from None
    except requests.exceptions.ConnectionError as error:
        raise BackendError(f"cannot reach the Docker engine ({error}); is dockerd running?") from None
    at = time.monotonic()
    cpu, memory = raw.get("cpu_stats") or {}, raw.get("memory_stats") or {}
    if "system_cpu_usage" not in cpu or "usage" not in memory:
        return None  # not running: the engine answers with empty counters
    return ProcessStats(
        cpu_ns=cpu["cpu_usage"]["total_usage"],
        system_cpu_ns=cpu["system_cpu_usage"],
        online_cpus=cpu.get("online_cpus") or len(cpu["cpu_usage"].get("percpu_usage") or ()) or 1,
        memory=_memory_without_cache(memory),
        memory_limit=memory.get("limit", 0),
        at=at,
    )
