"""The weekly overview by email: last week's second-line numbers for each subscribed manager, in their
language, sent once per ISO week (the subscription remembers the week, the mail outbox dedupes by key)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from otklik.mail.outbound import outbound_enqueue
from otklik.notifications.rendering import language_of
from otklik.reports.filters import ReportFilters, may_see_reports, zone
from otklik.reports.models import WeeklyDigest
from otklik.reports.selectors import second_line
from otklik.sla.selectors import humanize_seconds

logger = logging.getLogger(__name__)


def last_week(now: datetime) -> tuple[str, date, date]:
    today = timezone.localtime(now, zone()).date()
    monday = today - timedelta(days=today.weekday() + 7)
    year, week, _weekday = monday.isocalendar()
    return f"{year}-W{week:02d}", monday, monday + timedelta(days=6)


def weekly_digests_send(*, now: datetime) -> int:
    """Queue last week's overview for every active subscriber not yet sent it; returns how many."""
    week, start, end = last_week(now)
    filters = ReportFilters(start=start, end=end)
    sent = 0
    for subscription in WeeklyDigest.objects.filter(is_active=True).exclude(last_sent_week=week).select_related(
            "user"):
        user = subscription.user
        if not user.is_active or not user.email or not may_see_reports(user):
            continue
        numbers = second_line(user, filters)
        with translation.override(language_of(user)):
            context = {"numbers": numbers, "start": start, "end": end, "user": user,
                       "resolution": humanize_seconds(numbers["avg_resolution_seconds"]) or "—",
                       "resolution_working": humanize_seconds(numbers["avg_resolution_working_seconds"]) or "—",
                       "first_response": humanize_seconds(numbers["avg_first_response_seconds"]) or "—",
                       "link": f"{settings.OTKLIK_BASE_URL}{reverse('reports:overview')}?{filters.query()}"}
            subject = _("Weekly overview: %(start)s – %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
            body = render_to_string("reports/digest.txt", context)
        with transaction.atomic():
            outbound_enqueue(to=[user.email], subject=subject, body_text=body, kind="notification",
                             dedupe_key=f"report_digest:{user.pk}:{week}", now=now)
            WeeklyDigest.objects.filter(pk=subscription.pk).update(last_sent_week=week)
        sent += 1
    logger.info("reports: weekly overview queued for %s subscribers (%s)", sent, week)
    return sent
