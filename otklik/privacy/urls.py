from django.urls import URLPattern, URLResolver, path

from otklik.privacy import views

app_name = "privacy"

urlpatterns: list[URLPattern | URLResolver] = [
    path("export/", views.my_export, name="my_export"),
    path("users/<int:user_id>/export/", views.user_export, name="user_export"),
    path("users/<int:user_id>/anonymise/", views.user_anonymise, name="user_anonymise"),
]
