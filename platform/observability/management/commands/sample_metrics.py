import os

from django.conf import settings
from django.core.management.base import BaseCommand

from paas.stopping import stop_on_signals
from paas import heartbeat
from observability.metrics_sampler import Sampler


class Command(BaseCommand):
    help = "Sample every live app's CPU, memory, restarts and router counts into Redis, until SIGTERM."

    def handle(self, *args, **options):
        stop = stop_on_signals()
        interval = settings.PAAS_METRICS_INTERVAL
        # Outlives a few slow passes, so only a stuck or dead sampler stops beating.
        ttl = interval * 3 + 30
        pid = os.getpid()
        self.stdout.write(f"metrics sampler running every {interval:g}s")
        self.stdout.flush()
        Sampler().run_forever(stop, beat=lambda: heartbeat.beat("metrics", pid, ttl))
