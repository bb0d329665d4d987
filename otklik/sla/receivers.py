"""Saving a schedule, a holiday calendar, an exception or a policy re-plans the open clocks that
use it (SPEC 7.4), after the transaction commits."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from otklik.core.wakeups import once_after_commit

logger = logging.getLogger(__name__)


def _refresh_after_commit() -> None:
    from otklik.sla import services

    try:
        with transaction.atomic():
            services.calendars_refresh(now=timezone.now(), reason="calendar edited")
    except Exception:  # the edit is saved; the next edit or `otklik sla_replan` re-plans
        logger.exception("SLA calendars could not be refreshed after an edit")


def on_calendar_row_changed(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # fixtures being loaded
    # Several saves in one transaction (an admin form with inlines) refresh once after the commit.
    once_after_commit("sla.calendars_refresh", _refresh_after_commit)
