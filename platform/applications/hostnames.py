"""An app's host names: the one place that says which names the router serves an app under."""
from django.conf import settings


def app_host_names(app) -> list[str]:
    """Every host name the router serves the app under; the first is its default one, its name
    under PAAS_APPS_DOMAIN."""
    return [f"{app.name}.{settings.PAAS_APPS_DOMAIN}"]
