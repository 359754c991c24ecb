from django.core.management.base import BaseCommand

from controlplane.processes import stop_all


class Command(BaseCommand):
    help = "Stop what platform_up started. App containers keep running."

    def handle(self, *args, **options):
        stop_all(self.stdout.write)
