from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "otklik.chat"
    label = "chat"
    verbose_name = _("Chat")

    def ready(self) -> None:
        from otklik.chat.firstline import dialogs_sweep
        from otklik.sla.targets import sweep_hook_register

        # Unanswered dialogs are warned and breached by the SLA sweep, with the ticket clocks.
        sweep_hook_register("chat_dialogs", dialogs_sweep)
