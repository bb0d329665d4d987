from django.apps import AppConfig


class TelegramConfig(AppConfig):
    name = "otklik.telegram"
    label = "telegram"
    verbose_name = "Telegram"
