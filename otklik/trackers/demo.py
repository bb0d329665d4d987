"""Demo: a Redmine-style connection whose status mapping reads like the support team's own rules.

    Resolved  -> In progress, alert the assignee to answer, and tell the requester the fix is ready
    Feedback  -> Needs clarification, alert the assignee and the team lead
    Rejected  -> In progress, alert the assignee to answer

Idempotent: found by name and left alone when it exists, so an admin's edits survive.
"""

from __future__ import annotations

from django.db import transaction

from otklik.automation.models import CannedReply
from otklik.tickets.models import Status
from otklik.trackers.models import MatchOn, NotifyWhom, StatusMapping, TrackerConnection, TrackerKind

FIX_READY_EN = (
    "Hello {{ requester_name }},\n\nthe developers have fixed the problem behind your request "
    "#{{ ticket_number }} (issue {{ issue_key }}). Please check whether everything works now; "
    "just reply to this message if it does not."
)
FIX_READY_RU = (
    "Здравствуйте, {{ requester_name }}!\n\nРазработчики исправили проблему по вашей заявке "
    "№{{ ticket_number }} (задача {{ issue_key }}). Проверьте, пожалуйста, всё ли теперь работает; "
    "если нет — просто ответьте на это письмо."
)


@transaction.atomic
def seed_demo_trackers() -> None:
    connection, created = TrackerConnection.objects.get_or_create(name="Redmine (development)", defaults={
        "kind": TrackerKind.REDMINE, "base_url": "https://redmine.example.com", "default_project": "shop",
        # No real Redmine behind the demo: polling would only fill the connection's error field.
        "poll": False,
    })
    if not created:
        return
    reply, _created = CannedReply.objects.get_or_create(title="Tracker: the fix is ready", defaults={
        "body": FIX_READY_EN, "body_ru": FIX_READY_RU})
    statuses = {status.code: status for status in Status.objects.all()}
    for order, value, status_code, answer, notify, text in (
        (10, "Resolved", "in_progress", True, NotifyWhom.ASSIGNEE, reply),
        (20, "Feedback", "needs_clarification", False, NotifyWhom.TEAM, None),
        (30, "Rejected", "in_progress", True, NotifyWhom.ASSIGNEE, None),
    ):
        StatusMapping.objects.create(
            connection=connection, match_on=MatchOn.STATUS, tracker_value=value, order=order,
            ticket_status=statuses.get(status_code), answer_requester=answer, notify=notify, reply=text,
        )
