from django.urls import URLPattern, URLResolver, path

from otklik.security import session_views, views

app_name = "security"

urlpatterns: list[URLPattern | URLResolver] = [
    path("security/", views.overview, name="overview"),
    path("2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("2fa/disable/", views.two_factor_disable, name="two_factor_disable"),
    path("2fa/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("sessions/", session_views.session_list, name="sessions"),
    path("sessions/<int:session_id>/end/", session_views.session_end, name="session_end"),
    path("sessions/end-others/", session_views.sessions_end_others, name="sessions_end_others"),
    path("attachments/<str:token>/", views.attachment_download, name="attachment_download"),
]
