"""The activator (`manage.py activate`): what holds the requests of a sleeping app.

A sleeping app's endpoint is pointed here by the traffic decision (applications/traffic.py), so
nginx's connection for each of its requests arrives at this server instead of a web process.
The kernel's DNAT rule keeps the address nginx asked for (SO_ORIGINAL_DST): the app's endpoint
port, which names the app. The first connection starts a wake (in a thread: the database, the
lock and the scheduler are synchronous); connections arriving meanwhile wait on the same wake.
Once the app is awake the router points its endpoint at the web processes again, and each held
connection is passed on to one of them byte for byte: the request nginx already sent goes
first, the answer comes back the same way. A wake that fails answers each held request 503
with the reason (read with h11, so the request is consumed whole before the answer).

Only held requests take this path: an awake app's connections go from the router's rules
straight to its containers, and Django is never between the router and an app.
"""
import asyncio
import itertools
import logging
import os
import socket
import struct
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import h11
from django.conf import settings

from applications.sleep import WakeFailed
from paas import heartbeat
from runtime.scheduler import Address

log = logging.getLogger(__name__)

SO_ORIGINAL_DST = 80  # linux/netfilter_ipv4.h
PIPE_BUFFER = 64 * 1024
REQUEST_READ_SECONDS = 10
BEAT_SECONDS = 5
# Wakes of different apps run side by side, each on a thread (most of it waiting on checks).
WAKE_THREADS = 8


def original_destination(sock: socket.socket) -> Address:
    """The address the client connected to before the kernel's DNAT rule sent it here."""
    raw = sock.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)  # a struct sockaddr_in
    return socket.inet_ntoa(raw[4:8]), struct.unpack_from("!H", raw, 2)[0]


class Activator:
    def __init__(self, wake: Callable[[int], list[Address]]) -> None:
        self.wake = wake
        self.pool = ThreadPoolExecutor(max_workers=WAKE_THREADS, thread_name_prefix="wake")
        self.wakes: dict[int, asyncio.Future] = {}  # app id -> the wake under way
        self.failures: dict[int, tuple[float, str]] = {}  # app id -> (until, reason) of its last failed wake
        self.turns = itertools.count()
        self.held = 0

    async def serve(self, host: str, port: int, stopping: asyncio.Event) -> None:
        server = await asyncio.start_server(self.handle, host, port, reuse_address=True, backlog=1024)
        log.info("activator holding sleeping apps' requests on %s:%d", host, port)
        beating = asyncio.create_task(self._beat(stopping))
        async with server:
            await stopping.wait()
            server.close()
            await server.wait_closed()  # held requests are answered before the process ends
        await beating

    async def _beat(self, stopping: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stopping.is_set():
            try:
                await loop.run_in_executor(None, heartbeat.beat, "activator", os.getpid(), BEAT_SECONDS * 3 + 30)
            except Exception as error:  # noqa: BLE001 - Redis away: held requests still get their wakes
                log.warning("activator heartbeat: %s", error)
            try:
                await asyncio.wait_for(stopping.wait(), BEAT_SECONDS)
            except TimeoutError:
                pass

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.held += 1
        try:
            destination = original_destination(writer.get_extra_info("socket"))
            if destination == writer.get_extra_info("sockname"):
                return  # made to this port itself, not an app's endpoint sent here: it names no app
            app_id = destination[1] - settings.PAAS_ROUTE_PORT_BASE
            try:
                addresses = await self._woken(app_id)
            except WakeFailed as reason:
                await _refuse(reader, writer, str(reason))
                return
            address = addresses[next(self.turns) % len(addresses)]
            await _relay(reader, writer, address)
        except (OSError, asyncio.IncompleteReadError) as error:
            log.info("held connection ended: %s", error)
        finally:
            self.held -= 1
            writer.close()

    async def _woken(self, app_id: int) -> list[Address]:
        until, reason = self.failures.get(app_id, (0.0, ""))
        if time.monotonic() < until:
            raise WakeFailed(reason)
        wake = self.wakes.get(app_id)
        if wake is None:
            wake = asyncio.get_running_loop().run_in_executor(self.pool, self._wake_logged, app_id)
            self.wakes[app_id] = wake
            wake.add_done_callback(lambda done: self._woke(app_id, done))
        return await asyncio.shield(wake)

    def _wake_logged(self, app_id: int) -> list[Address]:
        try:
            return self.wake(app_id)
        except WakeFailed:
            raise
        except Exception as error:
            log.exception("waking app %s failed", app_id)
            raise WakeFailed(f"the platform could not wake it ({type(error).__name__})") from None

    def _woke(self, app_id: int, done: asyncio.Future) -> None:
        self.wakes.pop(app_id, None)
        if not done.cancelled() and isinstance(done.exception(), WakeFailed):
            self.failures[app_id] = (time.monotonic() + settings.PAAS_WAKE_RETRY_SECONDS, str(done.exception()))


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: Address) -> None:
    """Pass the connection on to a web process, both ways, until both sides are done."""
    upstream_reader, upstream_writer = await asyncio.open_connection(*address)
    try:
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
    finally:
        upstream_writer.close()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    while data := await source.read(PIPE_BUFFER):
        sink.write(data)
        await sink.drain()
    if sink.can_write_eof():
        sink.write_eof()  # the other side learns the request (or the answer) is complete


async def _refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reason: str) -> None:
    """Answer the held request 503 with the reason, once it has been read whole."""
    connection = h11.Connection(h11.SERVER)
    host = "the app"
    try:
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(await asyncio.wait_for(reader.read(PIPE_BUFFER), REQUEST_READ_SECONDS))
            elif isinstance(event, h11.Request):
                host = dict(event.headers).get(b"host", b"the app").decode("latin-1")
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)) or event is h11.PAUSED:
                break
        body = f"{host} is asleep and could not be woken: {reason}\nThe app's log stream has the details.\n".encode()
        headers = [("content-type", "text/plain; charset=utf-8"), ("content-length", str(len(body))),
                   ("retry-after", str(round(settings.PAAS_WAKE_RETRY_SECONDS))), ("connection", "close")]
        for event in (h11.Response(status_code=503, headers=headers), h11.Data(data=body), h11.EndOfMessage()):
            writer.write(connection.send(event))
        await writer.drain()
    except (h11.ProtocolError, TimeoutError) as error:
        log.info("a held request for %s was not HTTP/1.1 or did not arrive whole: %s", host, error)
