from django.conf import settings
from django.core.management.base import BaseCommand

from domains import certificate_manager
from paas.stopping import stop_on_signals


class Command(BaseCommand):
    help = "Get and renew domains' certificates over ACME (PAAS_ACME_DIRECTORY), until SIGTERM."

    def handle(self, *args, **options):
        stop = stop_on_signals()
        if certificate_manager.automatic_certificates_on():
            self.stdout.write(f"certificates from {settings.PAAS_ACME_DIRECTORY}, looking every "
                              f"{settings.PAAS_CERTIFICATES_INTERVAL:g}s")
        else:
            self.stdout.write("automatic certificates are off (PAAS_ACME_DIRECTORY is empty)")
        certificate_manager.run_forever(stop)
