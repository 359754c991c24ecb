import io

from cryptography.fernet import Fernet
from django.core.management import call_command

from accounts.models import Team
from applications import config_crypto
from applications.models import App, Release
from registry.models import TrackedImage


def test_every_encrypted_column_is_declared_by_its_name():
    columns = {f"{model._meta.label}.{column}" for model, column in config_crypto.encrypted_columns()}
    assert columns == {"applications.App.config_ciphertext", "applications.Release.config_ciphertext",
                       "registry.TrackedImage.token_ciphertext", "domains.Domain.key_ciphertext",
                       "domains.AcmeAccount.key_ciphertext"}


def test_rotating_re_encrypts_the_config_vars_of_apps_and_releases_with_the_newest_key(db, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PAAS_CONFIG_KEYS = [old]
    app = App.objects.create(name="shop", team=Team.objects.create(name="shop-team"),
                             config_ciphertext=config_crypto.encrypt({"A": "1"}))
    Release.objects.create(app=app, version=1, image="i:1", config_ciphertext=config_crypto.encrypt({"A": "0"}))
    Release.objects.create(app=app, version=2, image="i:2")  # no config vars: nothing to rotate
    settings.PAAS_CONFIG_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_config_keys", stdout=out)
    assert out.getvalue().startswith("re-encrypted 2 value(s) of ")
    settings.PAAS_CONFIG_KEYS = [new]  # the old key dropped: everything must still be readable
    assert config_crypto.decrypt(App.objects.get().config_ciphertext) == {"A": "1"}
    assert [config_crypto.decrypt(r.config_ciphertext) for r in Release.objects.order_by("version")] == [{"A": "0"}, {}]
    assert not TrackedImage.objects.exists()
