"""An app's host names and what the router serves them with: the one place that says which names
the router serves an app under. Custom domains and their certificates are the domains app's
(domains/models.py), read here through the app's reverse accessor, so applications never
imports it."""
from django.conf import settings

from applications.config_crypto import decrypt_secret
from router.site import Certificate, Site


def app_default_host_name(app) -> str:
    """The app's name under PAAS_APPS_DOMAIN: always served, never with a certificate of ours."""
    return f"{app.name}.{settings.PAAS_APPS_DOMAIN}"


def _host_names(app, domain_names) -> list[str]:
    return [app_default_host_name(app), *domain_names]


def app_host_names(app) -> list[str]:
    """Every host name the router serves the app under; the first is its default one."""
    return _host_names(app, app.domains.order_by("hostname").values_list("hostname", flat=True))


def app_site(app) -> Site:
    """The app as the router serves it: its host names, each domain's certificate (issued or
    uploaded; a domain still waiting for one is plain HTTP) and its HTTPS settings. One query:
    the reconciler routes every app on each pass."""
    domains = list(app.domains.order_by("hostname"))
    certificates = tuple(
        Certificate((domain.hostname,), domain.chain_pem, decrypt_secret(domain.key_ciphertext))
        for domain in domains if domain.chain_pem and domain.key_ciphertext
    )
    names = _host_names(app, (domain.hostname for domain in domains))
    return Site(tuple(names), certificates, app.redirect_https, app.hsts)
