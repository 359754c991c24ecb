"""Which ref updates a push may make: only main or master, one at a time, never a delete."""
ZERO = "0" * 40
DEPLOY_BRANCHES = ("refs/heads/main", "refs/heads/master")

RefUpdate = tuple[str, str, str]  # (old, new, ref), as git gives them to pre-receive


def parse_updates(text: str) -> list[RefUpdate]:
    return [tuple(line.split()) for line in text.splitlines() if line.strip()]


def check_updates(updates: list[RefUpdate]) -> str | None:
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
