"""What every dashboard page shows whatever its view: a banner for each dependency that is down."""
from django.http import HttpRequest

from observability.health import recent_health

# What each dependency being down means to someone using the dashboard.
CONSEQUENCES = {
    "database": "The database is unreachable: pages and changes fail until it is back; apps keep serving.",
    "redis": "Redis is unreachable: changes are refused until it is back; apps keep serving.",
    "engine": "The Docker engine does not answer: deploys, restarts and scaling cannot run until it is back.",
    "router": "The router (nginx) does not answer: apps cannot be reached until it is back.",
}


def platform_faults(request: HttpRequest) -> dict:
    faults = [CONSEQUENCES[name] for name, check in recent_health().items() if not check.ok]
    return {"platform_faults": faults}
