"""The web process's end of a push's git hooks: one private Unix socket per push.

git runs the hooks (builds/pre_receive.py: pre-receive, then post-receive once the branch has
moved) as children of the `git receive-pack` this process started, so they reach it through a
socket in a fresh 0700 directory named in git's environment. The push's app and user come from
the request this process already authorised; the hook only adds the ref updates and git's
quarantine variables.
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
from builds.receive import Push, post_receive, pre_receive, push_end
from paas.redis_check import redis_address, redis_unreachable
from paas.failures import REDIS_DOWN

log = logging.getLogger(__name__)

_END = object()


class PushHookSocket:
    def __init__(self, *, app_name: str, user_id: int, push_id: str) -> None:
        self.app_name = app_name
        self.push = Push(app_name=app_name, user_id=user_id, push_id=push_id)
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
        await sync_to_async(push_end, thread_sensitive=False)(self.push)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = json.loads(await reader.readline())
            updates = str(request["updates"])
            git_env = {name: str(value) for name, value in request["env"].items() if name in QUARANTINE_VARS}
            hook = str(request.get("hook", "pre-receive"))
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
                if hook == "post-receive":
                    return post_receive(self.push, say=say)
                return pre_receive(self.push, updates=updates, git_env=git_env, say=say)
            except REDIS_DOWN:
                # pre-receive's first Redis call (is a build worker alive?) comes before it records
                # anything; a build it started is the build sweep's. In post-receive git has moved
                # the branch already: only the news of the rollout is lost.
                log.exception("%s of a push to %s: Redis went away", hook, self.app_name)
                if hook == "post-receive":
                    say(f" !     The platform's Redis at {redis_address()} is unreachable: the rollout's progress "
                        "cannot be shown; see the app's releases.")
                    return 0
                say(f" !     Push rejected: {redis_unreachable('the push was not accepted')}")
                return 1
            except Exception:
                log.exception("%s of a push to %s crashed", hook, self.app_name)
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
