"""ASGI entry point: Django over HTTP (dashboard, API, git smart HTTP); websockets join here."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for path in (str(ROOT), str(ROOT / "platform")):
    if path not in sys.path:
        sys.path.insert(0, path)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paas.settings")

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

# The dashboard's few assets are served by Django itself: one process, nothing to collect.
application = ProtocolTypeRouter({"http": ASGIStaticFilesHandler(get_asgi_application())})
