"""The metrics sample, one per app every PAAS_METRICS_INTERVAL seconds, and the arithmetic behind
it (CPU %, one-minute rollups). Stored by observability.metrics_store, taken by
observability.metrics_sampler, served by the API and pushed to viewers as it is:

    {"t": 1764000005.0,                     # unix seconds, the end of the window
     "processes": {"web.1": {"cpu": 12.5, "memory": 31457280, "memory_limit": 536870912, "restarts": 0}},
     "router": {"requests": 42, "rps": 8.4, "status": {"2xx": 40, "3xx": 0, "4xx": 1, "5xx": 1},
                "latency_ms": {"p50": 1.8, "p95": 7.2, "p99": 20.1}}}

`cpu` is a percentage of one CPU (200 is two CPUs busy), `memory`/`memory_limit` are bytes;
any of them is null when there is no reading (the process is not running, or, for `cpu`, this is
its first reading). Latencies are null in a window with no requests.
"""
from observability.router_stats import RouterWindow
from runtime.processes import ProcessStats


def cpu_percent(previous: ProcessStats | None, current: ProcessStats) -> float | None:
    """CPU use between two readings, as `docker stats` computes it; None without a usable previous
    reading (none yet, or the counters restarted with the process)."""
    if previous is None:
        return None
    used = current.cpu_ns - previous.cpu_ns
    elapsed = current.system_cpu_ns - previous.system_cpu_ns
    if used < 0 or elapsed <= 0:
        return None
    return round(used / elapsed * current.online_cpus * 100, 2)


def process_json(stats: ProcessStats | None, previous: ProcessStats | None, restarts: int) -> dict:
    if stats is None:
        return {"cpu": None, "memory": None, "memory_limit": None, "restarts": restarts}
    return {
        "cpu": cpu_percent(previous, stats),
        "memory": stats.memory,
        "memory_limit": stats.memory_limit,
        "restarts": restarts,
    }


def sample_json(t: float, processes: dict[str, dict], router: RouterWindow) -> dict:
    return {"t": t, "processes": dict(sorted(processes.items())), "router": router.as_json()}


def _mean(values: list) -> float | None:
    present = [value for value in values if value is not None]
    return sum(present) / len(present) if present else None


def rollup(t: float, samples: list[dict], router: RouterWindow) -> dict:
    """One sample standing for a stretch of `samples` ending at `t`: per process the mean CPU and
    memory and the highest restart count; the router's counts for the whole stretch (`router`,
    whose merged histogram gives the percentiles, and whose length gives rps)."""
    by_label: dict[str, list[dict]] = {}
    for sample in samples:
        for label, reading in sample.get("processes", {}).items():
            by_label.setdefault(label, []).append(reading)
    processes = {}
    for label, readings in by_label.items():
        cpu, memory = _mean([r.get("cpu") for r in readings]), _mean([r.get("memory") for r in readings])
        limits = [r["memory_limit"] for r in readings if r.get("memory_limit") is not None]
        processes[label] = {
            "cpu": None if cpu is None else round(cpu, 2),
            "memory": None if memory is None else round(memory),
            "memory_limit": limits[-1] if limits else None,
            "restarts": max(r.get("restarts") or 0 for r in readings),
        }
    return sample_json(t, processes, router)
