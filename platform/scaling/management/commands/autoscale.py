from django.conf import settings
from django.core.management.base import BaseCommand

from paas.stopping import stop_on_signals
from scaling.autoscaler import Autoscaler


class Command(BaseCommand):
    help = "Scale autoscaled web types with their load and put idle ones to sleep, until SIGTERM."

    def handle(self, *args, **options):
        stop = stop_on_signals()
        self.stdout.write(f"autoscaler looking every {settings.PAAS_AUTOSCALE_INTERVAL:g}s")
        Autoscaler().run_forever(stop)
