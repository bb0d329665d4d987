from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "otklik.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from otklik.integrations.receivers import on_ticket_event
        from otklik.tickets.signals import ticket_event_recorded

        ticket_event_recorded.connect(on_ticket_event, dispatch_uid="integrations.webhooks")

        from otklik.chat.signals import chat_dialog_changed, chat_message_posted
        from otklik.integrations.chat_events import on_chat_dialog, on_chat_message

        chat_message_posted.connect(on_chat_message, dispatch_uid="integrations.chat_messages")
        chat_dialog_changed.connect(on_chat_dialog, dispatch_uid="integrations.chat_dialogs")
