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
