from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "otklik.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from otklik.reports import facts
        from otklik.tickets.signals import ticket_event_recorded

        ticket_event_recorded.connect(facts.on_ticket_event, dispatch_uid="reports.on_ticket_event")
