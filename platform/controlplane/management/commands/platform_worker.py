from django.core.management import call_command
from django.core.management.base import BaseCommand

from controlplane.workers import BUILDS, DEPLOYS, clear_stale, worker_name, worker_queue


class Command(BaseCommand):
    help = ("The platform's rq worker number N of a kind (builds, or with --deploys the rollouts with no build), "
            "as supervisord runs it: a killed predecessor's registration goes first.")

    def add_arguments(self, parser):
        parser.add_argument("index", type=int)
        parser.add_argument("--deploys", action="store_true", help="take the deploys queue instead of builds")

    def handle(self, *args, **options):
        kind = DEPLOYS if options["deploys"] else BUILDS
        name = worker_name(options["index"], kind)
        if clear_stale(name):
            self.stdout.write(f"removed the registration {name} left when it was killed")
        call_command("rqworker", worker_queue(kind), "--name", name)
