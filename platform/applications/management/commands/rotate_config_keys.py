from django.core.management.base import BaseCommand
from django.db import transaction

from applications import config_crypto


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column (each model field named *_ciphertext: the apps' and releases' "
        "config vars, the registry webhook tokens) with the first key of PAAS_CONFIG_KEYS. "
        "Put the new key first and keep the old ones after it until this has run."
    )

    def handle(self, *args, **options):
        columns = config_crypto.encrypted_columns()
        count = 0
        with transaction.atomic():
            for model, column in columns:
                for pk, ciphertext in model.objects.exclude(**{column: ""}).values_list("pk", column):
                    model.objects.filter(pk=pk).update(**{column: config_crypto.rotate(ciphertext)})
                    count += 1
        names = ", ".join(f"{model._meta.label}.{column}" for model, column in columns)
        self.stdout.write(f"re-encrypted {count} value(s) of {names} with the newest key")
