from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from otklik.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/<int:number>/", views.ticket_detail, name="ticket"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("otklik.api.urls")),
    path("mail/", include("otklik.mail.urls")),
    path("admin/", admin.site.urls),
]
