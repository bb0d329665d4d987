"""Chat pages: the agent console, the requester's chat in the portal, the embeddable widget, files."""

from django.urls import URLPattern, path

from otklik.chat.views import files

app_name = "chat"

urlpatterns: list[URLPattern] = [
    path("files/<str:token>/", files.attachment, name="attachment"),
]
