"""ASGI entry point: Django over HTTP (dashboard, API, git smart HTTP) and websockets (live logs, metrics)."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for path in (str(ROOT), str(ROOT / "platform")):
    if path not in sys.path:
        sys.path.insert(0, path)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paas.settings")

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

# Django first: the websocket stack imports models.
django_http = get_asgi_application()

from accounts.websocket_auth import websocket_auth_stack  # noqa: E402
from observability.websocket_urls import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # The dashboard's few assets are served by Django itself: one process, nothing to collect.
        "http": ASGIStaticFilesHandler(django_http),
        "websocket": websocket_auth_stack(URLRouter(websocket_urlpatterns)),
    }
)
