from channels.generic.websocket import WebsocketConsumer
from django.urls import path, re_path

from observability.consumers import LogConsumer, MetricsConsumer


class NoSuchSocket(WebsocketConsumer):
    def connect(self) -> None:
        self.close()  # before accepting: the handshake is refused (HTTP 403)


websocket_urlpatterns = [
    path("ws/apps/<str:app>/logs/", LogConsumer.as_asgi()),
    path("ws/apps/<str:app>/metrics/", MetricsConsumer.as_asgi()),
    re_path(r"^", NoSuchSocket.as_asgi()),
]
