from django.urls import path

from otklik.telegram import views

app_name = "telegram"
urlpatterns = [
    path("webhook/<int:bot_id>/", views.webhook, name="webhook"),
    path("link/", views.link, name="link"),
]
