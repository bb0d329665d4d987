from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "otklik.sla"
    label = "sla"
    verbose_name = _("SLA")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from otklik.sla import receivers, services
        from otklik.sla.models import CalendarException, HolidayCalendar, Schedule, SlaPolicy
        from otklik.tickets.signals import ticket_event_recorded

        ticket_event_recorded.connect(services.on_ticket_event, dispatch_uid="sla.clocks")
        for model in (Schedule, HolidayCalendar, CalendarException, SlaPolicy):
            post_save.connect(receivers.on_calendar_row_changed, sender=model,
                              dispatch_uid=f"sla.replan.{model.__name__}")
            post_delete.connect(receivers.on_calendar_row_changed, sender=model,
                                dispatch_uid=f"sla.replan.delete.{model.__name__}")
