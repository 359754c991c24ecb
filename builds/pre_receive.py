"""The pre-receive hook: queue a build of the pushed commit and stream it back as `remote:` lines.

git runs this with the new objects in quarantine and the ref not yet moved; exiting non-zero
rejects the push, so a failed build or rollout leaves both the branch and what serves untouched.
"""
import os
import sys
import time

ZERO = "0" * 40
DEPLOY_BRANCHES = ("refs/heads/main", "refs/heads/master")


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def refuse(message: str) -> int:
    say()
    say(f" !     {message}")
    say()
    return 1


def parse_updates(stdin) -> list[tuple[str, str, str]]:
    return [tuple(line.split()) for line in stdin.read().splitlines() if line.strip()]


def check_updates(updates: list[tuple[str, str, str]]) -> str | None:
    """The reason to refuse this push, or None to build it."""
    others = [ref for _, _, ref in updates if ref not in DEPLOY_BRANCHES]
    if others:
        names = ", ".join(ref.removeprefix("refs/heads/") for ref in others)
        return f"Push refused: only the main (or master) branch deploys, not {names}. Deploy with `git push <remote> HEAD:main`."
    if len(updates) != 1:
        return "Push refused: push main or master, not both at once."
    _, new, _ = updates[0]
    if new == ZERO:
        return "Push refused: the deployed branch cannot be deleted."
    return None


def run() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paas.settings")
    import django

    django.setup()
    from builds.receive import receive_push

    updates = parse_updates(sys.stdin)
    reason = check_updates(updates)
    if reason:
        return refuse(reason)
    old, new, ref = updates[0]
    started = time.monotonic()
    outcome = receive_push(
        app_name=os.environ["PAAS_APP"],
        user_id=int(os.environ["PAAS_USER_ID"]),
        push_id=os.environ["PAAS_PUSH_ID"],
        old=old,
        commit=new,
        ref=ref,
        say=say,
    )
    if not outcome.succeeded:
        return refuse(outcome.message)
    say(f"-----> {outcome.message} in {time.monotonic() - started:.1f}s")
    return 0


def main() -> int:
    code = run()
    sys.stdout.flush()
    # git waits for this process to exit before it moves the branch and answers the push;
    # the interpreter's teardown of Django, docker and redis modules costs a noticeable fraction
    # of a second and has nothing left to do.
    os._exit(code)
