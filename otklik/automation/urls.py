from django.urls import URLPattern, URLResolver, path

from otklik.automation import views

app_name = "automation"

urlpatterns: list[URLPattern | URLResolver] = [
    path("triggers/<int:trigger_id>/preview/", views.trigger_preview_view, name="trigger_preview"),
    path("forbidden-words/report/", views.forbidden_report, name="forbidden_report"),
    path("forbidden-words/rescan/", views.forbidden_rescan, name="forbidden_rescan"),
    path("replies/check/", views.reply_check, name="reply_check"),
    path("availability/", views.my_availability, name="availability"),
]
