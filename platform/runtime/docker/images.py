"""Images on the local engine: whether one is there, pulling one from its registry, removing a tag."""
import docker
import docker.errors
import requests.exceptions

from runtime.processes import BackendError
from runtime.docker.engine import explain


def _familiar(repository: str) -> str:
    """Docker Hub's repositories as the engine shows them: "docker.io/library/x" is "x"."""
    return repository.removeprefix("docker.io/").removeprefix("library/")


def exists(client: docker.DockerClient, image: str) -> bool:
    try:
        client.images.get(image)
        return True
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError as error:
        raise BackendError(f"the engine could not look up image {image}: {explain(error)}") from None


def pull(client: docker.DockerClient, repository: str, reference: str) -> str:
    by_digest = reference.startswith("sha256:")
    name = f"{repository}{'@' if by_digest else ':'}{reference}"
    try:
        # Streamed: a pull that fails after it started (a missing layer, a registry that went
        # away) reports it in the stream, not in the HTTP status.
        for progress in client.api.pull(repository, tag=reference, stream=True, decode=True):
            if "error" in progress:
                raise BackendError(f"the engine could not pull {name}: {progress['error']}")
    except docker.errors.APIError as error:
        raise BackendError(f"the engine could not pull {name}: {explain(error)}") from None
    except requests.exceptions.ConnectionError as error:
        raise BackendError(f"cannot reach the Docker engine ({error}); is dockerd running?") from None
    if by_digest:
        return reference
    try:
        digests = client.images.get(name).attrs.get("RepoDigests") or []
    except docker.errors.APIError as error:
        raise BackendError(f"the engine pulled {name} but cannot find it: {explain(error)}") from None
    for entry in digests:
        pulled_from, _, digest = entry.partition("@")
        if _familiar(pulled_from) == _familiar(repository):
            return digest
    raise BackendError(f"the engine pulled {name} but knows no digest of it in {repository}")


def remove(client: docker.DockerClient, image: str) -> bool:
    # Docker itself only refuses to remove an image's last tag; a tag shared with another
    # still counts as in use while a container was created from it (ps shows it by that name).
    if any(c["Image"] == image for c in client.api.containers(all=True)):
        return False
    try:
        client.images.remove(image)
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError as error:
        if error.status_code == 409:  # a container uses it
            return False
        raise BackendError(f"the engine could not remove image {image}: {explain(error)}") from None
    return True
