from django.urls import URLPattern, path

from otklik.web.consumers import TicketPresenceConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/tickets/<int:ticket_id>/presence/", TicketPresenceConsumer.as_asgi()),
]
