"""Image references as Docker's distribution/reference grammar spells them: repositories
("127.0.0.1:5000/shop"), tags ("latest") and digests ("sha256:<64 hex>")."""
import re

# A path component: lowercase alphanumerics joined by one of the separators . _ __ or dashes.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?"
_PATH = rf"{_COMPONENT}(?:/{_COMPONENT})*"
# Each is matched whole (fullmatch): "$" would let a trailing newline through.
REPOSITORY_PATTERN = re.compile(rf"(?:{_DOMAIN}/)?{_PATH}")
PATH_PATTERN = re.compile(_PATH)
TAG_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
DIGEST_PATTERN = re.compile(r"sha256:[0-9a-f]{64}")
REPOSITORY_MAX = 255  # Docker's limit on a whole repository name


def _has_domain(first: str) -> bool:
    # Docker's own rule: a first component with a dot or a port, or "localhost", names a registry.
    return "." in first or ":" in first or first == "localhost" or first != first.lower()


def repository_path(repository: str) -> str:
    """The repository without its registry host: what a registry's notifications call it
    ("127.0.0.1:5000/shop" -> "shop"; "user/name", on Docker Hub, stays "user/name")."""
    first, _, rest = repository.partition("/")
    return rest if rest and _has_domain(first) else repository


def repository_problem(repository: str) -> str | None:
    """Why `repository` is not a repository to pull from (None if it is one)."""
    if "@" in repository:
        return "give the repository without a digest: each push says which digest to deploy"
    last = repository.rsplit("/", 1)[-1]
    if ":" in last and "/" in repository:
        return 'give the repository without a tag, and the tag as "image_tag"'
    if ":" in repository and "/" not in repository:
        return 'give the repository without a tag (and the registry host before a "/"), e.g. "127.0.0.1:5000/shop"'
    if len(repository) > REPOSITORY_MAX:
        return f"a repository name has at most {REPOSITORY_MAX} characters"
    if not REPOSITORY_PATTERN.fullmatch(repository) or not PATH_PATTERN.fullmatch(repository_path(repository)):
        return ("a repository is HOST[:PORT]/NAME with a name of lowercase letters and digits, "
                "separated by '/', '.', '_' or '-', e.g. \"127.0.0.1:5000/shop\"")
    return None


def is_tag(value: str) -> bool:
    return bool(TAG_PATTERN.fullmatch(value))


def is_digest(value: str) -> bool:
    return bool(DIGEST_PATTERN.fullmatch(value))
