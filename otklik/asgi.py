"""ASGI entry point: Django's HTTP app and the Channels websocket routes (ticket presence)."""

from __future__ import annotations

import os
from typing import Any

from django.core.asgi import get_asgi_application

from otklik.core.memory import limit_malloc_arenas

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings.base")
# A web process: its database sessions get the statement timeout (see settings.base.database_config).
os.environ.setdefault("OTKLIK_WEB_PROCESS", "1")
limit_malloc_arenas()  # before the server starts its request threads


def build_application() -> Any:
    """A fresh ASGI app; tests build one after adjusting settings (middleware reads them at start)."""
    http_app = get_asgi_application()  # sets Django up before the routes import models

    from channels.auth import AuthMiddlewareStack
    from channels.routing import ProtocolTypeRouter, URLRouter
    from channels.security.websocket import AllowedHostsOriginValidator

    from otklik.chat.routing import websocket_urlpatterns as chat_websocket_urlpatterns
    from otklik.web.routing import websocket_urlpatterns

    routes = websocket_urlpatterns + chat_websocket_urlpatterns

    return ProtocolTypeRouter({
        "http": http_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(routes))),
    })


application = build_application()
