"""Readers of each source, and the one place that builds a reader from a run's stored options."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils.translation import gettext as _

from otklik.imports.readers.base import Reader, ReaderError

SOURCES = ("csv", "xlsx", "helpdesk", "osticket", "zammad", "json")


def _tz(options: dict[str, Any], default: str) -> ZoneInfo:
    name = str(options.get("timezone") or default)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ReaderError(_("Unknown time zone «%(tz)s».") % {"tz": name}) from exc


def build_reader(source: str, options: dict[str, Any]) -> Reader:
    tz_default = str(settings.TIME_ZONE)
    if source in ("csv", "xlsx"):
        from otklik.imports.readers.tabular import TabularReader

        return TabularReader(
            path=str(options.get("path", "")),
            kind=str(options.get("kind", "tickets")),
            mapping=dict(options.get("mapping") or {}),
            tz=_tz(options, tz_default),
            source=source,
            delimiter=str(options.get("delimiter") or ""),
            sheet=str(options.get("sheet") or ""),
        )
    if source == "json":
        from otklik.imports.readers.jsonl import JsonLinesReader

        return JsonLinesReader(str(options.get("path", "")), _tz(options, tz_default))
    if source == "helpdesk":
        from otklik.imports.readers.helpdesk import HelpdeskReader

        # Django stores naive UTC in SQLite when USE_TZ is on (the default since Django 5).
        return HelpdeskReader(
            db_url=str(options.get("db_url", "")),
            tz=_tz(options, "UTC"),
            media_root=str(options.get("media_root") or ""),
        )
    if source == "osticket":
        from otklik.imports.readers.osticket import OsTicketReader

        return OsTicketReader(
            db_url=str(options.get("db_url", "")),
            tz=_tz(options, tz_default),
            prefix=str(options.get("prefix") or "ost_"),
        )
    if source == "zammad":
        from otklik.imports.readers.zammad import ZammadReader

        return ZammadReader(
            url=str(options.get("url", "")),
            token=str(options.get("token", "")),
            tz=_tz(options, "UTC"),
            per_page=int(options.get("per_page") or 100),
        )
    raise ReaderError(
        _("Unknown source «%(source)s»; use one of: %(sources)s.") % {"source": source, "sources": ", ".join(SOURCES)}
    )
