from django.core.management.base import BaseCommand, CommandError

from controlplane.processes import stop_all
from router.routing import RouterError


class Command(BaseCommand):
    help = "Stop what platform_up started. App containers keep running."

    def handle(self, *args, **options):
        try:
            stop_all(self.stdout.write)
        except RouterError as error:
            raise CommandError(str(error)) from None
