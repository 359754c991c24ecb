import asyncio
import signal

from django.core.management.base import BaseCommand

from router.target import activator_address
from scaling.activator import Activator
from scaling.waking import wake_for_request


class Command(BaseCommand):
    help = "Hold the requests of sleeping apps and wake them, until SIGTERM."

    def handle(self, *args, **options):
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        host, port = activator_address()
        self.stdout.write(f"activator on {host}:{port}")
        await Activator(wake_for_request).serve(host, port, stopping)
