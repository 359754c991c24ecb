"""The settings of custom domains and their certificates (part of paas/settings.py, which
imports them all). Each program reads them when it starts: a change takes effect with `make up`,
which restarts the programs whose environment changed."""
import os

from paas.environment import env_float as _env_float, env_int as _env_int

# The router's HTTPS listener (on PAAS_ROUTER_HOST). An app's domains are served there with the
# certificate each has; a name without one gets its TLS handshake refused.
PAAS_ROUTER_TLS_PORT = _env_int("PAAS_ROUTER_TLS_PORT", 8443)
# The ACME server that issues domains' certificates (Heroku ACM style), Let's Encrypt's by
# default; empty turns automatic certificates off (uploaded ones still serve). Its http-01
# challenges are answered by the router on PAAS_ROUTER_PORT, which the ACME server must reach
# as port 80 of each domain.
PAAS_ACME_DIRECTORY = os.environ.get("PAAS_ACME_DIRECTORY", "https://acme-v02.api.letsencrypt.org/directory")
# The account's contact address: the ACME server's expiry warnings go there.
PAAS_ACME_EMAIL = os.environ.get("PAAS_ACME_EMAIL", "")
# A CA bundle (PEM file) to verify the ACME server with instead of the system's (a private ACME
# server such as Pebble or step-ca).
PAAS_ACME_CA_BUNDLE = os.environ.get("PAAS_ACME_CA_BUNDLE", "")
# A certificate is renewed this many days before it expires (Let's Encrypt's are valid 90).
PAAS_ACME_RENEW_DAYS = _env_float("PAAS_ACME_RENEW_DAYS", 30)
# After a failed issuance the next try waits this long, doubling with each failure up to 6 hours.
PAAS_ACME_RETRY_SECONDS = _env_float("PAAS_ACME_RETRY_SECONDS", 60)
# How often the certificate manager (`manage.py manage_certificates`) looks for work.
PAAS_CERTIFICATES_INTERVAL = _env_float("PAAS_CERTIFICATES_INTERVAL", 5)
