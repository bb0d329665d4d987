from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelegramConfig(AppConfig):
    name = "otklik.telegram"
    label = "telegram"
    verbose_name = _("Telegram channel")

    def ready(self) -> None:
        from otklik.telegram import receivers  # noqa: F401  (connects the signal receivers)
