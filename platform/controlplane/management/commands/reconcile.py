import logging

from applications.reconciler import Reconciler
from django.conf import settings
from django.core.management.base import BaseCommand
from runtime.processes import BackendError
from runtime.scheduler import get_scheduler

from paas.stopping import stop_on_signals

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Keep app containers and the router matching the database, until SIGTERM."

    def handle(self, *args, **options):
        stop = stop_on_signals()
        # After a reboot, systemd starts the supervisor and so this process without `make up`:
        # the host guard goes back before the first pass routes anything (its passes route every
        # live app again).
        try:
            get_scheduler().guard_host()
        except BackendError as error:
            log.error("could not put the host guard back: %s", error)
        self.stdout.write(f"reconciler running every {settings.PAAS_RECONCILE_INTERVAL:g}s")
        Reconciler().run_forever(settings.PAAS_RECONCILE_INTERVAL, stop)
