"""The local Docker engine: a client, and its errors in words a user can act on."""
import docker
import docker.errors

from runtime.processes import BackendError


def docker_client() -> docker.DockerClient:
    try:
        return docker.from_env(timeout=120)
    except docker.errors.DockerException as error:
        raise BackendError(f"cannot reach the Docker engine ({error}); is dockerd running?") from None


def explain(error: docker.errors.APIError) -> str:
    return str(error.explanation or error)
