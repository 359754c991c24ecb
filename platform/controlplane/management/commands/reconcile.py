from django.conf import settings
from django.core.management.base import BaseCommand

from applications.reconciler import Reconciler
from controlplane.stopping import stop_on_signals


class Command(BaseCommand):
    help = "Keep app containers and the router matching the database, until SIGTERM."

    def handle(self, *args, **options):
        stop = stop_on_signals()
        self.stdout.write(f"reconciler running every {settings.PAAS_RECONCILE_INTERVAL:g}s")
        Reconciler().run_forever(settings.PAAS_RECONCILE_INTERVAL, stop)
