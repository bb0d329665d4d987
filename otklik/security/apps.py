from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "otklik.security"
    label = "security"
    verbose_name = _("Security")

    def ready(self) -> None:
        from otklik.security import receivers  # noqa: F401 - connects the session tracking receivers
        from otklik.security.two_factor import state_watch

        state_watch()
