from __future__ import annotations

from collections.abc import Callable

from django.contrib.admin.models import LogEntry
from django.db.models import Max
from django.http import HttpRequest, HttpResponse

from otklik.audit.context import current_request


class AuditContextMiddleware:
    """Makes the current request known to audit receivers for the duration of the view.

    The admin writes the log entries of multi-object actions (bulk deletes) with bulk_create, which sends
    no signal; for admin posts the entries written during the request are swept up afterwards.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sweep = request.method == "POST" and request.path.startswith("/admin/")
        last_entry = (LogEntry.objects.aggregate(last=Max("id"))["last"] or 0) if sweep else 0
        token = current_request.set(request)
        try:
            response = self.get_response(request)
            if sweep:
                self._sweep(last_entry)
            return response
        finally:
            current_request.reset(token)

    @staticmethod
    def _sweep(after_id: int) -> None:
        from otklik.audit.receivers import on_admin_log_entry

        for entry in LogEntry.objects.filter(id__gt=after_id).select_related("content_type", "user"):
            on_admin_log_entry(LogEntry, entry, created=True)
