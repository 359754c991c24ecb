import pytest
from cryptography.fernet import Fernet

from applications import config_crypto


@pytest.fixture
def keys(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PAAS_CONFIG_KEYS = [old]
    return settings, old, new


def test_config_vars_are_encrypted_at_rest(keys):
    ciphertext = config_crypto.encrypt({"DATABASE_PASSWORD": "hunter2"})
    assert "hunter2" not in ciphertext and "DATABASE_PASSWORD" not in ciphertext
    assert config_crypto.decrypt(ciphertext) == {"DATABASE_PASSWORD": "hunter2"}
    assert config_crypto.encrypt({}) == "" and config_crypto.decrypt("") == {}


def test_rotation_reencrypts_with_the_new_key_and_old_ciphertext_still_reads(keys):
    settings, old, new = keys
    ciphertext = config_crypto.encrypt({"A": "1"})
    settings.PAAS_CONFIG_KEYS = [new, old]
    assert config_crypto.decrypt(ciphertext) == {"A": "1"}
    rotated = config_crypto.rotate(ciphertext)
    settings.PAAS_CONFIG_KEYS = [new]
    assert config_crypto.decrypt(rotated) == {"A": "1"}


def test_a_missing_key_is_a_clear_error(keys):
    settings, old, new = keys
    ciphertext = config_crypto.encrypt({"A": "1"})
    settings.PAAS_CONFIG_KEYS = [new]
    with pytest.raises(config_crypto.ConfigKeyError, match="missing from PAAS_CONFIG_KEYS"):
        config_crypto.decrypt(ciphertext)
