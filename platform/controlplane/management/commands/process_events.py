from django.core.management.base import BaseCommand

from controlplane import process_events, supervision


class Command(BaseCommand):
    help = "supervisord's event listener (started by it): platform log lines and counts for restarts."

    def handle(self, *args, **options):
        process_events.listen(supervision.read_log_tail)
