from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from controlplane.workers import clear_stale, worker_name


class Command(BaseCommand):
    help = "The platform's rq worker number N, as supervisord runs it: a killed predecessor's registration goes first."

    def add_arguments(self, parser):
        parser.add_argument("index", type=int)

    def handle(self, *args, **options):
        name = worker_name(options["index"])
        if clear_stale(name):
            self.stdout.write(f"removed the registration {name} left when it was killed")
        # Listed first, deploys (config changes, rollbacks) go before builds.
        call_command("rqworker", settings.PAAS_DEPLOY_QUEUE, settings.PAAS_BUILD_QUEUE, "--name", name)
