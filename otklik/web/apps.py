from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "otklik.web"
    label = "web"
    verbose_name = _("Web")

    def ready(self) -> None:
        # Notification emails link requesters to their ticket with a password-less, time-limited link.
        from otklik.notifications.links import register_ticket_link_builder
        from otklik.web.links import ticket_magic_link

        register_ticket_link_builder(ticket_magic_link)

        from otklik.web.admin_site import brand_admin

        brand_admin()
