from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "otklik.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        from otklik.automation import receivers
        from otklik.tickets.signals import ticket_event_recorded

        ticket_event_recorded.connect(receivers.on_ticket_event, dispatch_uid="automation.on_ticket_event")
