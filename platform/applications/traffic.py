"""Where an app's traffic goes, decided in one place for every caller (rollout, restart,
rename, reconciler, maintenance mode, the router's rebuild): from the database (the app's
maintenance mode, whether it sleeps, its host names) and the web processes the caller started or
found running. An app whose web processes are routed is awake: a rollout, restart or rename of a
sleeping app wakes it, as a request does through the activator."""
from applications.formation import formation_ensure
from applications.hostnames import app_site
from applications.locks import app_rollout_lock
from applications.models import App
from applications.selectors import live_release
from applications.slots import slot_holders, wanted_slots
from router import routing
from router.target import Address, Target
from runtime.scheduler import Scheduler, get_scheduler


def app_target(app: App, web: list[Address]) -> Target:
    """The target for the app given its live web processes' addresses. The maintenance flag is
    read again here, not taken from the caller's copy of the app: a switch made while a rollout
    ran must hold when the rollout routes."""
    if App.objects.filter(pk=app.pk, maintenance=True).exists():
        return Target.maintenance()
    if not web and App.objects.filter(pk=app.pk, sleeping_since__isnull=False).exists():
        return Target.activator()
    return Target.web(web)


def traffic_point(app: App, web: list[Address]) -> None:
    """New connections for the app go where app_target says from now on."""
    if web:
        App.objects.filter(pk=app.pk, sleeping_since__isnull=False).update(sleeping_since=None)
    routing.route_app(app.pk, app.name, app_site(app), app_target(app, web))


def live_web_addresses(scheduler: Scheduler, app: App) -> list[Address]:
    """The addresses of the live release's running web processes, as the engine has them (the
    slots' holders: not a process a restart superseded, which drains)."""
    release = live_release(app)
    if release is None:
        return []
    wanted = wanted_slots(formation_ensure(app, release))
    holders, _ = slot_holders((p for p in scheduler.processes(app.name) if p.release == release.version), wanted)
    return scheduler.web_addresses(p for p in holders.values() if scheduler.state(p).running)


def traffic_restore(scheduler: Scheduler) -> None:
    """Rebuild every app's route from the database and the engine (platform_up)."""
    routes = {}
    for app in App.objects.all():
        if live_release(app) is not None:
            routes[app.pk] = (app.name, app_site(app), app_target(app, live_web_addresses(scheduler, app)))
    routing.restore(routes)


def traffic_reroute(app: App) -> bool:
    """Route the app again as the database has it now (maintenance mode, host names,
    certificates, HTTPS redirect), ordered with rollouts by its rollout lock. False for an app
    never routed: its first rollout routes it so (ACME challenges for its domains are answered
    by the router's default server meanwhile)."""
    with app_rollout_lock(app):
        if live_release(app) is None:
            return False
        traffic_point(app, live_web_addresses(get_scheduler(), app))
    return True
