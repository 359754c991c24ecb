"""rq jobs: they take ids and call services."""
from builds.pipeline import build_and_deploy


def run_build(build_id: int) -> None:
    build_and_deploy(build_id)
