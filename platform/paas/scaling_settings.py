"""The settings of autoscaling and scale to zero (part of paas/settings.py, which imports them
all). Each program reads them when it starts: a change takes effect with `make up`, which
restarts the programs whose environment changed."""
from paas.environment import env_float as _env_float, env_int as _env_int

# The most web processes an autoscale rule may ask for (its "max"): a host's limit.
PAAS_AUTOSCALE_MAX = _env_int("PAAS_AUTOSCALE_MAX", 10)
# How often the autoscaler (`manage.py autoscale`) looks at each autoscaled app's load.
PAAS_AUTOSCALE_INTERVAL = _env_float("PAAS_AUTOSCALE_INTERVAL", 1)
# Requests in flight per web process must stay above the rule's concurrency this long before
# processes are added, and below what one process fewer could take this long before one goes.
PAAS_AUTOSCALE_UP_SECONDS = _env_float("PAAS_AUTOSCALE_UP_SECONDS", 3)
PAAS_AUTOSCALE_DOWN_SECONDS = _env_float("PAAS_AUTOSCALE_DOWN_SECONDS", 30)
# After a wake failed, requests for the app get the 503 at once for this long, instead of each
# waiting out a health check of a release that cannot start.
PAAS_WAKE_RETRY_SECONDS = _env_float("PAAS_WAKE_RETRY_SECONDS", 5)
