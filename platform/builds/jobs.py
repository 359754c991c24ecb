"""rq jobs: they take ids and call services."""
from builds.liveness import build_lease
from builds.pipeline import build_and_deploy


def run_build(build_id: int, push_id: str) -> None:
    lease = build_lease(build_id)
    lease.acquire()
    try:
        build_and_deploy(build_id, push_id)
    finally:
        lease.release()
