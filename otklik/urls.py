"""Each app owns its URLs; this file only mounts them."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/", include("otklik.api.urls")),
    path("mail/", include("otklik.mail.urls")),
    path("sla/", include("otklik.sla.urls")),
    path("automation/", include("otklik.automation.urls")),
    path("notifications/", include("otklik.notifications.urls")),
    path("trackers/", include("otklik.trackers.urls")),
    path("chat/", include("otklik.chat.urls")),
    path("account/", include("otklik.security.urls")),
    path("sso/", include("otklik.sso.urls")),
    path("telegram/", include("otklik.telegram.urls")),
    path("reports/", include("otklik.reports.urls")),
    path("privacy/", include("otklik.privacy.urls")),
    path("kb/", include("otklik.knowledge.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("otklik.web.urls")),
]

# API paths that match no route answer the API's JSON error shape, not an HTML page (issue 11).
handler404 = "otklik.api.errors.page_not_found"
