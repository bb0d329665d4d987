from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    name = "otklik.sso"
    label = "sso"
    verbose_name = _("Company sign-in")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from otklik.sso import signals  # noqa: F401 - connects the sign-in receivers
