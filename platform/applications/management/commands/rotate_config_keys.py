from django.core.management.base import BaseCommand
from django.db import transaction

from applications import config_crypto
from applications.models import App, Release
from registry.models import TrackedImage


class Command(BaseCommand):
    help = (
        "Re-encrypt every app's and release's config vars, and the registry webhook tokens, with the "
        "first key of PAAS_CONFIG_KEYS. "
        "Put the new key first and keep the old ones after it until this has run."
    )

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            for model in (App, Release):
                for pk, ciphertext in model.objects.exclude(config_ciphertext="").values_list("pk", "config_ciphertext"):
                    model.objects.filter(pk=pk).update(config_ciphertext=config_crypto.rotate(ciphertext))
                    count += 1
            # Registry webhook tokens are encrypted with the same keys.
            for pk, ciphertext in TrackedImage.objects.values_list("pk", "token_ciphertext"):
                TrackedImage.objects.filter(pk=pk).update(token_ciphertext=config_crypto.rotate(ciphertext))
                count += 1
        self.stdout.write(f"re-encrypted {count} config snapshot(s) and webhook token(s) with the newest key")
