import json

from django.core.management.base import BaseCommand

from controlplane.processes import status_all


class Command(BaseCommand):
    help = "Each platform process: its state and pid (--json for scripts)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object keyed by process name")

    def handle(self, *args, **options):
        statuses = status_all()
        if options["json"]:
            self.stdout.write(json.dumps(statuses))
            return
        for name, status in statuses.items():
            pid = status["pid"] or "-"
            self.stdout.write(f"{name:<12} {status['state']:<10} pid {pid}")
