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


def app_host_names(app) -> list[str]:
    """Every host name the router serves the app under; the first is its default one."""
    return [app_default_host_name(app), *app.domains.order_by("hostname").values_list("hostname", flat=True)]


def app_site(app) -> Site:
    """The app as the router serves it: its host names, each domain's certificate (issued or
    uploaded; a domain still waiting for one is plain HTTP) and its HTTPS settings."""
    domains = app.domains.order_by("hostname")
    certificates = tuple(
        Certificate((domain.hostname,), domain.chain_pem, decrypt_secret(domain.key_ciphertext))
        for domain in domains if domain.chain_pem and domain.key_ciphertext
    )
    return Site(tuple(app_host_names(app)), certificates, app.redirect_https, app.hsts)
