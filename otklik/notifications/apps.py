from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "otklik.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from otklik.notifications import receivers
        from otklik.tickets.signals import ticket_event_recorded

        ticket_event_recorded.connect(receivers.on_ticket_event, dispatch_uid="notifications.outbox_kick")
