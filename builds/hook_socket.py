"""The web process's end of a push's pre-receive hook: one private Unix socket per push.

git runs the hook (builds/pre_receive.py) as a child of the `git receive-pack` this process
started, so the hook reaches it through a socket in a fresh 0700 directory named in git's
environment. The push's app and user come from the request this process already authorised;
the hook only adds the ref updates and git's quarantine variables.
"""
import asyncio
import json
import logging
import os
import shutil
import tempfile

from asgiref.sync import sync_to_async
from django.db import connections

from builds.pre_receive import QUARANTINE_VARS
from builds.receive import pre_receive, release_push_lock

log = logging.getLogger(__name__)

_END = object()


class PushHookSocket:
    def __init__(self, *, app_name: str, user_id: int, push_id: str) -> None:
        self.app_name = app_name
        self.user_id = user_id
        self.push_id = push_id
        self.directory = tempfile.mkdtemp(prefix="paas-push-")
        self.path = os.path.join(self.directory, "hook.sock")
        self.server: asyncio.AbstractServer | None = None

    async def open(self) -> "PushHookSocket":
        self.server = await asyncio.start_unix_server(self._serve, path=self.path)
        return self

    async def close(self) -> None:
        """Once `git receive-pack` has exited: it has moved the branch, or never will."""
        if self.server is not None:
            self.server.close()
        shutil.rmtree(self.directory, ignore_errors=True)
        await sync_to_async(release_push_lock, thread_sensitive=False)(self.app_name, self.push_id)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = json.loads(await reader.readline())
            updates = str(request["updates"])
            git_env = {name: str(value) for name, value in request["env"].items() if name in QUARANTINE_VARS}
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("malformed request on the pre-receive socket of %s", self.app_name)
            writer.close()
            return

        loop = asyncio.get_running_loop()
        lines: asyncio.Queue = asyncio.Queue()

        def say(text: str) -> None:
            loop.call_soon_threadsafe(lines.put_nowait, text)

        def answer() -> int:
            # A thread of its own for the whole build: the event loop keeps serving meanwhile.
            try:
                return pre_receive(
                    updates=updates,
                    git_env=git_env,
                    app_name=self.app_name,
                    user_id=self.user_id,
                    push_id=self.push_id,
                    say=say,
                )
            except Exception:
                log.exception("pre-receive of a push to %s crashed", self.app_name)
                say(" !     Push rejected: internal error in the platform (see its web log).")
                return 1
            finally:
                connections.close_all()
                loop.call_soon_threadsafe(lines.put_nowait, _END)

        work = asyncio.ensure_future(sync_to_async(answer, thread_sensitive=False)())
        hook_alive = True
        while (line := await lines.get()) is not _END:
            hook_alive = hook_alive and await _send(writer, {"line": line})
        code = await work
        if hook_alive and await _send(writer, {"exit": code}):
            writer.close()


async def _send(writer: asyncio.StreamWriter, message: dict) -> bool:
    """False once the hook has gone (its push was abandoned); the build itself goes on."""
    try:
        writer.write(json.dumps(message).encode() + b"\n")
        await writer.drain()
        return True
    except (ConnectionError, OSError):
        return False
