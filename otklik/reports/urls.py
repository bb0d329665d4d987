from django.urls import URLPattern, URLResolver, path

from otklik.reports import views

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.overview, name="overview"),
    path("breakdowns/", views.breakdown, name="breakdown"),
    path("load/", views.load, name="load"),
    path("sla/", views.sla, name="sla"),
    path("specialists/", views.specialists, name="specialists"),
    path("csat/", views.csat, name="csat"),
    path("forecast/", views.forecast, name="forecast"),
    path("weekly-email/", views.digest, name="digest"),
]
