from django.core.management.base import BaseCommand

from controlplane.bootstrap import bootstrap


class Command(BaseCommand):
    help = "Write a new admin API token to var/admin.token; the one it held stops working."

    def handle(self, *args, **options):
        files = bootstrap(new_token=True)
        self.stdout.write(f"A new admin API token is in {files['token']} (mode 0600); the previous one is revoked.")
