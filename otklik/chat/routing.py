from django.urls import URLPattern, path

from otklik.chat.consumers import ChatConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/chats/<int:chat_id>/", ChatConsumer.as_asgi()),
]
