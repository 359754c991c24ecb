"""An app's custom domains: each with its certificate's state and the DNS record to make, and for
admins adding and removing them, uploading a certificate or going back to an automatic one, and
the app's HTTPS settings."""
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from access.policy import Action
from applications.hostnames import app_default_host_name
from applications.https_settings import HTTPS_SETTINGS, app_https_set
from dashboard.http import app_view, is_htmx
from domains import services
from domains.certificate_manager import automatic_certificates_on
from domains.selectors import domains_of_app
from paas.failures import needs_redis


def _context(request: HttpRequest, app, **extra) -> dict:
    return {
        "app": app,
        "domains": domains_of_app(app),
        "dns_target": app_default_host_name(app),
        "automatic_on": automatic_certificates_on(),
        "tls_port": settings.PAAS_ROUTER_TLS_PORT,
        "can": request.can,
        **extra,
    }


def _done(request: HttpRequest, app, notice: str) -> HttpResponse:
    """htmx swaps the section in with the notice; a plain form goes back to the page."""
    if is_htmx(request):
        return render(request, "dashboard/partials/domains.html", _context(request, app, notice=notice))
    return redirect(reverse("app-domains", args=[app.name]))


@app_view(Action.VIEW, "GET")
def domains_page(request: HttpRequest, app) -> HttpResponse:
    return render(request, "dashboard/app_domains.html", {**_context(request, app), "tab": "domains"})


@app_view(Action.MANAGE, "POST")
@needs_redis
def domain_add(request: HttpRequest, app) -> HttpResponse:
    domain = services.domain_add(app=app, user=request.user, hostname=request.POST.get("hostname", "").strip())
    how = "its certificate is requested now" if automatic_certificates_on() else "upload a certificate for HTTPS"
    return _done(request, app, f"Added {domain.hostname}: point its DNS at {app_default_host_name(app)}; {how}.")


@app_view(Action.MANAGE, "POST")
@needs_redis
def domain_remove(request: HttpRequest, app, hostname: str) -> HttpResponse:
    services.domain_remove(app=app, user=request.user, hostname=hostname)
    return _done(request, app, f"Removed {hostname}: it is no longer served.")


@app_view(Action.MANAGE, "POST")
@needs_redis
def certificate_upload(request: HttpRequest, app, hostname: str) -> HttpResponse:
    services.certificate_upload(app=app, user=request.user, hostname=hostname,
                                chain_pem=request.POST.get("chain_pem", ""), key_pem=request.POST.get("key_pem", ""))
    return _done(request, app, f"Certificate uploaded: {hostname} is served over HTTPS with it.")


@app_view(Action.MANAGE, "POST")
@needs_redis
def certificate_automatic(request: HttpRequest, app, hostname: str) -> HttpResponse:
    services.certificate_automatic(app=app, user=request.user, hostname=hostname)
    return _done(request, app, f"{hostname} gets an automatic certificate: served over plain HTTP until it is issued.")


@app_view(Action.MANAGE, "POST")
@needs_redis
def https_set(request: HttpRequest, app) -> HttpResponse:
    # A box posts "off" (its hidden field) then "on" when ticked: the last value is what it shows.
    changes = {name: request.POST.getlist(name)[-1] == "on" for name in HTTPS_SETTINGS if request.POST.getlist(name)}
    changed = app_https_set(app=app, user=request.user, changes=changes)
    return _done(request, app, "HTTPS settings saved: the router applies them now." if changed else "Nothing changed.")
