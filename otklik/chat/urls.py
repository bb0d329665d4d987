"""Chat pages: the agent console, the requester's chat in the portal, the embeddable widget, files."""

from django.urls import URLPattern, path

from otklik.chat.views import files, pages

app_name = "chat"

urlpatterns: list[URLPattern] = [
    path("files/<str:token>/", files.attachment, name="attachment"),
    path("console/", pages.console_index, name="console_index"),
    path("console/<int:chat_id>/", pages.console, name="console"),
    path("", pages.portal_chats, name="portal_chats"),
    path("<int:chat_id>/", pages.portal_chat, name="portal_chat"),
    path("<int:chat_id>/upload/", files.upload, name="upload"),
    path("widget/<int:chat_id>/", pages.widget, name="widget"),
    path("widget/<int:chat_id>/guest/", pages.widget_guest, name="widget_guest"),
    path("widget/<int:chat_id>/embed.js", pages.widget_script, name="widget_script"),
]
