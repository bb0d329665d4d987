from django.urls import URLPattern, URLResolver, path

from otklik.security import views

app_name = "security"

urlpatterns: list[URLPattern | URLResolver] = [
    path("security/", views.overview, name="overview"),
    path("2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("2fa/disable/", views.two_factor_disable, name="two_factor_disable"),
    path("2fa/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("attachments/<str:token>/", views.attachment_download, name="attachment_download"),
]
