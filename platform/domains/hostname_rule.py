"""What a custom domain may be: a DNS host name an ACME server can issue a certificate for, in
the one form the router, the database and the certificates compare (lowercase, IDNA A-labels as
xn--, no trailing dot), so that "Bücher.Example." and "xn--bcher-kva.example" are one domain."""
import ipaddress
import re

import idna
from django.conf import settings

from paas.errors import UserError

MAX_NAME = 253
MAX_LABEL = 63
LDH_LABEL = re.compile(r"[a-z0-9-]+\Z")
# No input needs more: an IDNA name longer than this cannot come down to 253 characters.
MAX_INPUT = 1024


def _shown(text: str) -> str:
    return text if len(text) <= 80 else f"{text[:77]}..."


def _ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def _a_label(label: str, name: str) -> str:
    """The label as DNS has it (an xn-- A-label for a Unicode one), checked."""
    if not label:
        raise UserError(f"{_shown(name)} is not a valid host name: it has an empty label (two dots in a row, "
                        f"or a dot at the start)")
    try:
        if not label.isascii():
            label = idna.alabel(label).decode("ascii")
        elif label.startswith("xn--"):
            idna.decode(label)  # an A-label must be the encoding of a valid Unicode one
    except idna.IDNAError as error:
        raise UserError(f"{_shown(name)} is not a valid internationalized host name: {error}") from None
    if not LDH_LABEL.match(label):
        raise UserError(f"{_shown(name)} is not a valid host name: labels hold only letters, digits and hyphens "
                        f"(not '{_shown(label)}')")
    if label.startswith("-") or label.endswith("-"):
        raise UserError(f"{_shown(name)} is not a valid host name: a label may not start or end with a hyphen "
                        f"('{_shown(label)}')")
    if label[2:4] == "--" and not label.startswith("xn--"):
        raise UserError(f"{_shown(name)} is not a valid host name: '{_shown(label)}' has '--' in its third and "
                        f"fourth characters, which only IDNA labels (xn--) may have")
    if len(label) > MAX_LABEL:
        raise UserError(f"{_shown(name)} is not a valid host name: a label may be at most {MAX_LABEL} characters "
                        f"('{_shown(label)}' has {len(label)})")
    return label


def _platforms_own(hostname: str) -> bool:
    apps_domain = settings.PAAS_APPS_DOMAIN.lower().rstrip(".")
    return hostname == apps_domain or hostname.endswith(f".{apps_domain}")


def hostname_clean(raw) -> str:
    """The domain's host name in its one form; a UserError saying what is wrong otherwise."""
    if not isinstance(raw, str):
        raise UserError('"hostname" must be a string such as "shop.example.com"')
    name = raw.strip().lower()
    if not name:
        raise UserError('send a "hostname" such as "shop.example.com"')
    if len(name) > MAX_INPUT:
        raise UserError(f"a host name may be at most {MAX_NAME} characters")
    name = name.removesuffix(".")
    if "*" in name:
        raise UserError(f"{_shown(name)}: wildcard domains are not supported; add each host name "
                        f"(shop.example.com, www.example.com) as its own domain")
    if _ip_address(name):
        raise UserError(f"{_shown(name)} is an IP address; a domain is a host name such as shop.example.com "
                        f"(no certificate is issued for an IP address)")
    try:
        # UTS #46 maps what users type (full-width dots, compatibility forms) to what IDNA takes.
        name = idna.uts46_remap(name, std3_rules=False, transitional=False)
    except idna.IDNAError as error:
        raise UserError(f"{_shown(name)} is not a valid internationalized host name: {error}") from None
    labels = [_a_label(label, name) for label in name.split(".")]
    if len(labels) < 2:
        raise UserError(f"{_shown(name)} is a single label; a domain has at least two (shop.example.com)")
    if labels[-1].isdigit():
        raise UserError(f"{_shown(name)} is not a valid host name: its last label is all digits")
    hostname = ".".join(labels)
    if len(hostname) > MAX_NAME:
        raise UserError(f"{_shown(hostname)} is too long: a host name may be at most {MAX_NAME} characters "
                        f"(it has {len(hostname)})")
    if _platforms_own(hostname):
        raise UserError(f"{hostname} is one of the platform's own names (under {settings.PAAS_APPS_DOMAIN}); "
                        f"every app is served there already")
    return hostname
