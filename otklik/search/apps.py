from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "otklik.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from otklik.search import indexing
        from otklik.tickets.signals import ticket_event_recorded

        ticket_event_recorded.connect(indexing.on_ticket_event, dispatch_uid="search.on_ticket_event")
