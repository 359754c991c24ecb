import threading

from django.core.management.base import BaseCommand

from paas.stopping import stop_on_signals
from observability import relay, shipper


class Command(BaseCommand):
    help = "Ship container and router logs into the apps' log streams and relay them to viewers, until SIGTERM."

    def handle(self, *args, **options):
        stop = stop_on_signals()
        # The relay lives here rather than in a process of its own: it has the same lifetime and
        # health as the shipper, and one heartbeat then covers both.
        relaying = threading.Thread(target=relay.run_forever, args=(stop,), name="log-relay", daemon=True)
        relaying.start()
        self.stdout.write("log shipper running")
        self.stdout.flush()
        shipper.run(stop)
        relaying.join(timeout=1.0)
