from django.urls import URLPattern, URLResolver, path

from otklik.mail import views

app_name = "mail"

urlpatterns: list[URLPattern | URLResolver] = [
    path("inbound/<int:inbound_id>/original.eml", views.inbound_original, name="original"),
    path("inbound/<int:inbound_id>/inline/<int:index>/", views.inline_image, name="inline"),
]
