"""allauth's routes that Otklik uses: the OpenID Connect start and callback, and the two result pages.
Local sign-up, password and email pages of allauth are not mounted: Otklik has its own."""

from django.urls import URLPattern, URLResolver, include, path

from otklik.sso import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("allauth.socialaccount.providers.openid_connect.urls")),
    path("login/cancelled/", views.login_cancelled, name="socialaccount_login_cancelled"),
    path("login/error/", views.login_error, name="socialaccount_login_error"),
]
