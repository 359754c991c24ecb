from django.core.management.base import BaseCommand, CommandError

from controlplane.processes import stop_all
from controlplane.supervision import SupervisorError
from controlplane.systemd import SystemdError
from router.routing import RouterError


class Command(BaseCommand):
    help = "Stop what platform_up started, supervisord too, until the next platform_up. App containers keep running."

    def handle(self, *args, **options):
        try:
            stop_all(self.stdout.write)
        except (RouterError, SupervisorError, SystemdError) as error:
            raise CommandError(str(error)) from None
