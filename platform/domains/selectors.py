"""Reading domains: an app's, and one of them by the host name a request names."""
from django.db.models import QuerySet

from domains.hostname_rule import hostname_clean
from domains.models import Domain
from paas.errors import Missing, UserError


def domains_of_app(app) -> QuerySet[Domain]:
    return app.domains.order_by("hostname")


def domain_of_app(app, hostname: str) -> Domain:
    """The app's domain named `hostname` in any form its owner may type (Bücher.example.); Missing otherwise."""
    try:
        cleaned = hostname_clean(hostname)
    except UserError:  # no domain can have a name the rule refuses
        cleaned = None
    domain = app.domains.filter(hostname=cleaned).first() if cleaned else None
    if domain is None:
        raise Missing(f"app '{app.name}' has no domain {str(hostname)[:253]}")
    return domain
