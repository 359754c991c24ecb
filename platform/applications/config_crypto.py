"""Config vars at rest: Fernet with the keys in settings.PAAS_CONFIG_KEYS, newest first.

MultiFernet encrypts with the first key and decrypts with any, so a new key can be put in
front of the old ones and `manage.py rotate_config_keys` re-encrypts everything with it.
A model declares a column encrypted here by its name: it ends in `_ciphertext`.
"""
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db.models import Model

COLUMN_SUFFIX = "_ciphertext"


class ConfigKeyError(Exception):
    """The stored config vars were encrypted with a key that is no longer configured."""


def _box() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in settings.PAAS_CONFIG_KEYS])
    except ValueError as error:
        raise ConfigKeyError(f"PAAS_CONFIG_KEYS holds an invalid Fernet key ({error})") from None


def _opened(ciphertext: str, subject: str) -> str:
    """The plaintext; `subject` starts the error if no configured key opens it ("config vars were")."""
    try:
        return _box().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ConfigKeyError(f"{subject} encrypted with a key missing from PAAS_CONFIG_KEYS; restore that key") from None


def encrypt(config: dict[str, str]) -> str:
    return encrypt_secret(json.dumps(config, sort_keys=True)) if config else ""


def decrypt(ciphertext: str) -> dict[str, str]:
    return json.loads(_opened(ciphertext, "config vars were")) if ciphertext else {}


def encrypt_secret(secret: str) -> str:
    """One secret string (a webhook token) at rest, with the same keys as the config vars."""
    return _box().encrypt(secret.encode()).decode()


def decrypt_secret(ciphertext: str) -> str:
    return _opened(ciphertext, "a secret was")


def rotate(ciphertext: str) -> str:
    """The same config vars, encrypted with the newest key."""
    return _box().rotate(ciphertext.encode()).decode() if ciphertext else ""


def encrypted_columns() -> list[tuple[type[Model], str]]:
    """(model, field name) of every column encrypted with these keys, in every installed app:
    a new one is rotated with the others without a change to the command."""
    return [(model, field.name) for model in apps.get_models()
            for field in model._meta.concrete_fields if field.name.endswith(COLUMN_SUFFIX)]
