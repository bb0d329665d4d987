from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from otklik.web import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("tickets/<int:number>/", views.ticket_detail, name="ticket"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", views.health, name="health"),
]
