from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "otklik.mail"
    label = "mail"
    verbose_name = _("Email channel")

    def ready(self) -> None:
        from otklik.mail import receivers  # noqa: F401  (connects the signal receivers)
