"""Whether a release may go without a `web` process type.

Heroku lets an app run only workers, and so does the platform, but a release that drops `web`
from an app the router serves would leave it answering 502 while the push says "deployed", and
a misspelt `web` (`wbe:`) looks like a worker-only app to everything else. Both are refused with
the reason; a worker-only app from the start, or one whose web was scaled to 0 first, is not.
"""
import difflib

from applications.models import App
from applications.procfile import RELEASE_PHASE
from applications.selectors import live_release

WEB = "web"
# How close a process type's name must be to "web" to be taken for a misspelling of it: wbe,
# Web, webb and we are, worker and webhook are not.
LIKE_WEB = 0.65


def misspelt_web(process_types: list[str]) -> str | None:
    """The declared type that looks like `web` misspelt, if one does."""
    for name in process_types:
        if name.lower() == WEB or difflib.SequenceMatcher(None, WEB, name.lower()).ratio() >= LIKE_WEB:
            return name
    return None


def release_web_refusal(*, app: App, process_types: dict[str, str]) -> str | None:
    """Why a release of these process types may not be made for the app, or None if it may."""
    if WEB in process_types:
        return None
    declared = [name for name in process_types if name != RELEASE_PHASE]
    typo = misspelt_web(declared)
    live = live_release(app)
    serving = (live is not None and WEB in live.process_types
               and app.formation.filter(process_type=WEB, quantity__gt=0).exists())
    if typo is None and not serving:
        return None
    reason = f"the release has no web process: the Procfile declares {', '.join(declared) or 'only a release phase'}"
    if typo is not None:
        reason += f"; did you mean {WEB}?"
    if serving:
        reason += (f" (v{live.version} serves the app's traffic with its web processes; to run it without web, "
                   "scale web to 0 first)")
    return reason
