"""The files nginx reads an app's certificates from: chain and key in one file per certificate,
named by the app's id and a digest of its content, in a directory only the platform's user may
read. A changed certificate is a new file, so the server blocks that name the old one serve
until the reload that names the new one; what no block names any more is pruned after."""
import hashlib
import os
from pathlib import Path

from django.conf import settings

from router.site import Certificate


def certificates_dir() -> Path:
    return Path(settings.PAAS_ROUTER_DIR) / "certs"


def _file(app_id: int, certificate: Certificate) -> Path:
    digest = hashlib.sha256(f"{certificate.chain_pem}\0{certificate.key_pem}".encode()).hexdigest()[:24]
    return certificates_dir() / f"{app_id}-{digest}.pem"


def write(app_id: int, certificates) -> list[Path]:
    """The file of each certificate, in order, written if it is not there yet."""
    if not certificates:
        return []  # most apps: no directory to make on each of the reconciler's routes
    directory = certificates_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    paths = []
    for certificate in certificates:
        path = _file(app_id, certificate)
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(certificate.chain_pem.strip() + "\n" + certificate.key_pem.strip() + "\n")
            os.replace(tmp, path)
        paths.append(path)
    return paths


def prune(keep: set[Path], app_id: int | None = None) -> None:
    """Remove the app's (or with no app, every) certificate file but those in `keep`."""
    pattern = f"{app_id}-*.pem" if app_id is not None else "*.pem"
    for path in certificates_dir().glob(pattern):
        if path not in keep:
            path.unlink(missing_ok=True)
