"""Custom domains of an app and their certificates, in the shape of Heroku's Platform API
(domains, with ACM's status): anyone in the team reads them, admins change them. No answer
carries a private key."""
from django.http import HttpRequest, JsonResponse

from access.policy import Action
from api.http import endpoint, json_body
from applications.hostnames import app_default_host_name
from applications.selectors import app_for
from domains import services
from domains.models import Domain
from domains.selectors import domain_of_app, domains_of_app
from paas.errors import UserError
from paas.failures import needs_redis


def _time(value) -> str | None:
    return value.isoformat() if value else None


def domain_json(domain: Domain, app) -> dict:
    return {
        "hostname": domain.hostname,
        "kind": "custom",
        "cname": app_default_host_name(app),  # the DNS record to make: hostname CNAME this
        "created_at": _time(domain.created_at),
        "acm_status": domain.certificate_status,
        "acm_status_reason": domain.failure_reason or None,
        "certificate": {
            "source": domain.certificate_source,
            "status": domain.certificate_status,
            "reason": domain.failure_reason or None,
            "expires_at": _time(domain.expires_at),
            "issuer": domain.issuer or None,
        },
    }


def _field(body: dict, name: str, example: str) -> str:
    value = body.get(name)
    if value is None:
        raise UserError(f'send "{name}" ({example})')
    if not isinstance(value, str):
        raise UserError(f'"{name}" must be a string ({example})')
    return value


@endpoint("GET", "POST")
@needs_redis
def app_domains(request: HttpRequest, app_name: str) -> JsonResponse:
    if request.method == "POST":
        app = app_for(request.user, app_name, Action.MANAGE)
        hostname = _field(json_body(request), "hostname", "a host name such as shop.example.com")
        domain = services.domain_add(app=app, user=request.user, hostname=hostname)
        return JsonResponse(domain_json(domain, app), status=201)
    app = app_for(request.user, app_name, Action.VIEW)
    return JsonResponse([domain_json(domain, app) for domain in domains_of_app(app)], safe=False)


@endpoint("GET", "DELETE")
@needs_redis
def app_domain(request: HttpRequest, app_name: str, hostname: str) -> JsonResponse:
    if request.method == "DELETE":
        app = app_for(request.user, app_name, Action.MANAGE)
        domain = services.domain_remove(app=app, user=request.user, hostname=hostname)
        return JsonResponse(domain_json(domain, app))
    app = app_for(request.user, app_name, Action.VIEW)
    return JsonResponse(domain_json(domain_of_app(app, hostname), app))


@endpoint("PUT", "DELETE")
@needs_redis
def app_domain_certificate(request: HttpRequest, app_name: str, hostname: str) -> JsonResponse:
    """PUT serves the domain with an uploaded certificate; DELETE goes back to an automatic one."""
    app = app_for(request.user, app_name, Action.MANAGE)
    if request.method == "DELETE":
        domain = services.certificate_automatic(app=app, user=request.user, hostname=hostname)
        return JsonResponse(domain_json(domain, app))
    body = json_body(request)
    domain = services.certificate_upload(
        app=app, user=request.user, hostname=hostname,
        chain_pem=_field(body, "certificate_chain", "the PEM certificates, the domain's first"),
        key_pem=_field(body, "private_key", "the PEM private key, unencrypted"),
    )
    return JsonResponse(domain_json(domain, app))


@endpoint("POST")
@needs_redis
def app_domain_certificate_renewal(request: HttpRequest, app_name: str, hostname: str) -> JsonResponse:
    """Renew the automatic certificate now (Heroku's certs:auto:refresh): the certificate manager
    does it on its next look, and the certificate in use serves until the new one is in."""
    app = app_for(request.user, app_name, Action.MANAGE)
    return JsonResponse(domain_json(services.certificate_renew(app=app, user=request.user, hostname=hostname), app),
                        status=202)
