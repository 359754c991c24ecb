"""Settings for the control plane.

Everything a deployment changes comes from the environment (PAAS_*, DATABASE_URL, REDIS_URL);
the defaults give a single-host install under ./var that `make up` can start with no setup.
"""
import base64
import os
import secrets as _secrets
from pathlib import Path
from urllib.parse import quote

import dj_database_url

from paas.environment import ROOT_DIR, VAR_DIR, env_float as _env_float, env_int as _env_int



def _generated_once(path: Path, make) -> str:
    """The file's content, creating it with `make()` first if absent. Processes that start together
    race here: linking a finished temp file (atomic, fails if the name exists) makes one of them win."""
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(make())
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text()


def _secret_key() -> str:
    """A per-install key kept under var/, so restarts keep sessions valid."""
    if os.environ.get("DJANGO_SECRET_KEY"):
        return os.environ["DJANGO_SECRET_KEY"]
    return _generated_once(VAR_DIR / "secret_key", lambda: _secrets.token_urlsafe(50)).strip()


def _config_keys() -> list[str]:
    """Fernet keys for config vars at rest, newest first: the first encrypts, all decrypt.

    PAAS_CONFIG_KEYS (comma-separated) overrides the key generated under var/. To rotate, put a
    new key first, keep the old ones after it, and run `manage.py rotate_config_keys`."""
    if os.environ.get("PAAS_CONFIG_KEYS"):
        return [key.strip() for key in os.environ["PAAS_CONFIG_KEYS"].split(",") if key.strip()]
    text = _generated_once(VAR_DIR / "config.keys", lambda: base64.urlsafe_b64encode(_secrets.token_bytes(32)).decode())
    return [line.strip() for line in text.splitlines() if line.strip()]


SECRET_KEY = _secret_key()
PAAS_CONFIG_KEYS = _config_keys()
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
# Origins besides the dashboard's own (e.g. behind a proxy) that may post forms and open websockets.
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Behind an HTTPS proxy (README, "Production settings"); all off by default, for the plain-HTTP
# local install.
if os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER"):  # the header the proxy sets to "https", e.g. X-Forwarded-Proto
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + os.environ["DJANGO_SECURE_PROXY_SSL_HEADER"].upper().replace("-", "_"), "https")
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "") == "1"
# platform_up asks for /healthz on the web server's own plain-HTTP address.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = _env_int("DJANGO_SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", "") == "1"
SECURE_HSTS_PRELOAD = os.environ.get("DJANGO_SECURE_HSTS_PRELOAD", "") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = os.environ.get("DJANGO_SECURE_COOKIES", "") == "1"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_rq",
    "accounts",
    "applications",
    "runtime",
    "router",
    "api",
    "dashboard",
    "controlplane",
    "builds",
    "observability",
    "activity",
    "registry",
    "metering",
    "scaling",
    "domains",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "paas.urls"
ASGI_APPLICATION = "paas.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ROOT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context.platform_faults",
            ],
        },
    },
]

# SQLite by default. The web server, the git hooks and the workers write concurrently, so wait
# for locks instead of failing, and take the write lock at the start of each transaction
# (IMMEDIATE) so two writers never deadlock upgrading read locks.
DATABASES = {
    "default": dj_database_url.config(default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}", conn_max_age=0)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in ("UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordValidator",
                 "NumericPasswordValidator")
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [ROOT_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
# After this many failed logins for one user name, or from one client address, within
# LOCKOUT_SECONDS of the first, that name or address is refused for LOCKOUT_SECONDS.
PAAS_LOGIN_MAX_FAILURES = _env_int("PAAS_LOGIN_MAX_FAILURES", 5)
PAAS_LOGIN_LOCKOUT_SECONDS = _env_int("PAAS_LOGIN_LOCKOUT_SECONDS", 900)


def _redis_url() -> str:
    """REDIS_URL if set (an operator's own Redis); else the install's, which scripts/redis starts on
    127.0.0.1:6379 requiring the password it generated into var/redis/password (of the checkout,
    like base-images.json: one Redis per machine, whatever PAAS_VAR_DIR says)."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    password_file = ROOT_DIR / "var" / "redis" / "password"
    auth = f":{quote(password_file.read_text().strip(), safe='')}@" if password_file.exists() else ""
    return f"redis://{auth}127.0.0.1:6379/{_env_int('PAAS_REDIS_DB', 0)}"


REDIS_URL = _redis_url()
PAAS_INSTANCE = os.environ.get("PAAS_INSTANCE", "default")
# Named per instance: two installs (or a test run beside a real one) may share a Redis database,
# and a worker must never take another instance's builds.
PAAS_BUILD_QUEUE = f"paas-{PAAS_INSTANCE}-builds"
# Rollouts with no build (config changes, rollbacks, registry pushes, restarts): workers of their
# own take these (PAAS_DEPLOY_WORKERS), so a config change never waits behind another app's build.
PAAS_DEPLOY_QUEUE = f"paas-{PAAS_INSTANCE}-deploys"
# A job's work-horse dies with its worker (paas/rq_worker.py).
RQ = {"WORKER_CLASS": "paas.rq_worker.Worker"}
RQ_QUEUES = {
    PAAS_DEPLOY_QUEUE: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600},
    PAAS_BUILD_QUEUE: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600},
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # Per instance, like the queues: two installs sharing a Redis never see each other's groups.
        "CONFIG": {
            # redis-py's default read timeout (5 s) is also channels_redis's BZPOPMIN wait: the two
            # raced, and every few seconds a viewer's websocket died of "Timeout reading from
            # Redis". Longer than the wait, still bounded for a Redis that hangs.
            "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
            "prefix": f"paas:{PAAS_INSTANCE}:channels:",
            # How many messages (log batches of up to 50 ms each, metrics samples) a websocket
            # viewer may lag behind before the oldest are dropped for it, and only for it.
            "capacity": int(os.environ.get("PAAS_VIEWER_BACKLOG", 100)),
        },
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PAAS_LOG_LEVEL", "INFO")},
}

# --- The platform's own tunables -------------------------------------------------------------
# PAAS_INSTANCE (above) labels the containers and images this install creates, and names its
# queue and Redis keys, so two installs on one engine and one Redis never touch each other's.
PAAS_WEB_HOST = os.environ.get("PAAS_WEB_HOST", "127.0.0.1")
PAAS_WEB_PORT = _env_int("PAAS_WEB_PORT", 8000)
# Build workers take only builds: with N of them, N apps build at once and the next app's push
# waits, saying for what (builds/build_queue.py). One app never holds two: its pushes take turns
# (builds/push_lock.py). Each build step may use PAAS_BUILD_CPUS, so by default as many as the
# host has cores (at least 2, at most 4). PAAS_WORKERS is this setting's former name.
PAAS_BUILD_WORKERS = _env_int("PAAS_BUILD_WORKERS", _env_int("PAAS_WORKERS", max(2, min(4, os.cpu_count() or 2))))
# Deploy workers take only the rollouts that need no build; short jobs but for a release phase.
# At least one: with none, every config change would wait for good.
PAAS_DEPLOY_WORKERS = max(1, _env_int("PAAS_DEPLOY_WORKERS", 1))
PAAS_ROUTER_HOST = os.environ.get("PAAS_ROUTER_HOST", "127.0.0.1")
PAAS_ROUTER_PORT = _env_int("PAAS_ROUTER_PORT", 8080)
# Peers (addresses or networks, comma-separated) whose X-Forwarded-Proto and X-Forwarded-Port the
# router passes on: a TLS-terminating proxy in front of it. Everyone else's are overwritten with
# the router's own (router/forwarding.py). Read when the router's config is written (`make up`).
PAAS_ROUTER_TRUSTED_PROXIES = os.environ.get("PAAS_ROUTER_TRUSTED_PROXIES", "")
# nginx sends app N's traffic to port BASE + N on the container network's host address, where
# the kernel passes it to the app's live containers (router/endpoints.py). Each platform
# instance on a host needs a range of its own.
PAAS_ROUTE_PORT_BASE = _env_int("PAAS_ROUTE_PORT_BASE", 40000)
PAAS_APPS_DOMAIN = os.environ.get("PAAS_APPS_DOMAIN", "localhost")
PAAS_NGINX_BINARY = os.environ.get("PAAS_NGINX_BINARY", "/usr/sbin/nginx")
PAAS_GIT_DIR = VAR_DIR / "git"
PAAS_BUILD_DIR = VAR_DIR / "builds"
PAAS_ROUTER_DIR = VAR_DIR / "router"
PAAS_RUN_DIR = VAR_DIR / "run"
PAAS_LOG_DIR = VAR_DIR / "log"
# What runs the apps' releases (runtime/scheduler.py): the single-host Docker scheduler. Read
# once per process: a change takes effect with `make up`, which restarts every program.
PAAS_SCHEDULER = os.environ.get("PAAS_SCHEDULER", "runtime.docker.scheduler.DockerScheduler")
# The port app containers listen on inside the container ($PORT), as on Dokku.
PAAS_CONTAINER_PORT = _env_int("PAAS_CONTAINER_PORT", 5000)
# Health checks of a new release's web containers (Dokku's CHECKS in spirit), the defaults for
# apps that set none of their own: wait before the first attempt, then up to ATTEMPTS attempts
# INTERVAL seconds apart, each given TIMEOUT seconds. The default is an HTTP GET of PATH with the
# app's Host and the router's headers, which any answer below 500 passes (redirects and logins
# too); an app's own check path must answer 2xx/3xx; the path "" is a TCP connect to $PORT.
PAAS_CHECK_PATH = os.environ.get("PAAS_CHECK_PATH", "/")
PAAS_CHECK_WAIT = _env_float("PAAS_CHECK_WAIT", 0)
PAAS_CHECK_TIMEOUT = _env_float("PAAS_CHECK_TIMEOUT", 5)
PAAS_CHECK_ATTEMPTS = _env_int("PAAS_CHECK_ATTEMPTS", 120)
PAAS_CHECK_INTERVAL = _env_float("PAAS_CHECK_INTERVAL", 0.25)
# The most an app's config vars (names and values, in bytes) may take: every process gets them
# all in its environment, and the kernel refuses an environment that is too large. Heroku's cap.
PAAS_CONFIG_MAX_BYTES = _env_int("PAAS_CONFIG_MAX_BYTES", 32768)
# The hardened profile of app containers: limits per process type default to these.
PAAS_DEFAULT_MEMORY_MB = _env_int("PAAS_DEFAULT_MEMORY_MB", 512)
PAAS_DEFAULT_CPUS = _env_float("PAAS_DEFAULT_CPUS", 1.0)
PAAS_PIDS_LIMIT = _env_int("PAAS_PIDS_LIMIT", 512)
# Opt-in: app containers get a read-only root filesystem and a writable tmpfs on /tmp of this
# size. Takes effect for containers started after the change (a deploy or a restart).
PAAS_READ_ONLY_ROOT = os.environ.get("PAAS_READ_ONLY_ROOT", "") == "1"
PAAS_TMPFS_MB = _env_int("PAAS_TMPFS_MB", 64)
# Each app's processes, release phase and builds share a network of the app's own, a /24 taken
# from this pool (runtime/app_networks.py); other apps' containers and the host are out of reach.
PAAS_NETWORK_POOL = os.environ.get("PAAS_NETWORK_POOL", "10.200.0.0/13")
# A release phase command (Procfile `release:`) is killed and fails the release after this long.
PAAS_RELEASE_PHASE_TIMEOUT = _env_int("PAAS_RELEASE_PHASE_TIMEOUT", 900)
# Images of the last K releases stay on the host so any of them can be rolled back to.
PAAS_KEEP_RELEASES = _env_int("PAAS_KEEP_RELEASES", 10)
# How often the reconciler compares the engine with the database when nothing wakes it sooner.
PAAS_RECONCILE_INTERVAL = _env_float("PAAS_RECONCILE_INTERVAL", 2)
# How long the previous release keeps running after the router switched away from it, so
# requests already in flight (and nginx workers still on the old config) finish.
PAAS_DRAIN_SECONDS = _env_float("PAAS_DRAIN_SECONDS", 10)
PAAS_STOP_TIMEOUT = _env_int("PAAS_STOP_TIMEOUT", 10)
# Each app's log stream keeps about this many recent lines (Redis Streams, trimmed as it grows).
PAAS_LOG_LINES = _env_int("PAAS_LOG_LINES", 10000)
# Metrics: a sample every INTERVAL seconds, kept at full resolution for RAW_SECONDS; one-minute
# rollups are kept for ROLLUP_HOURS.
PAAS_METRICS_INTERVAL = _env_float("PAAS_METRICS_INTERVAL", 5)
PAAS_METRICS_RAW_SECONDS = _env_int("PAAS_METRICS_RAW_SECONDS", 3600)
PAAS_METRICS_ROLLUP_HOURS = _env_int("PAAS_METRICS_ROLLUP_HOURS", 48)


# Builds: their limits, base images and the images a Dockerfile may use.
from paas.build_settings import *  # noqa: F403
# Autoscaling, scale to zero and the activator.
from paas.scaling_settings import *  # noqa: F403,E402
# Custom domains, the router's HTTPS listener and ACME.
from paas.domain_settings import *  # noqa: F403,E402
