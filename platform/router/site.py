"""What the router serves an app as: its host names, the certificates it answers HTTPS with,
and whether plain HTTP is sent to HTTPS. applications/hostnames.py builds it from the database;
the router writes the server blocks and certificate files it asks for and keeps nothing else."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Certificate:
    """A certificate chain (PEM, leaf first) and its private key (PEM), served for `host_names`.
    The key is only in memory here: the router writes it to a file of its own that only the
    platform's user may read, as nginx needs it."""

    host_names: tuple[str, ...]
    chain_pem: str
    key_pem: str = field(repr=False)


@dataclass(frozen=True)
class Site:
    host_names: tuple[str, ...]  # every name, the app's default one first
    certificates: tuple[Certificate, ...] = ()
    # Plain HTTP requests for a name that has a certificate get a 308 to its https:// address.
    redirect_https: bool = False
    # HTTPS answers carry Strict-Transport-Security (browsers then refuse plain HTTP for a year).
    hsts: bool = False

    @classmethod
    def plain(cls, *host_names: str) -> "Site":
        return cls(tuple(host_names))

    def secured_names(self) -> set[str]:
        return {name for certificate in self.certificates for name in certificate.host_names}
