"""The chat's first-line target: an unanswered dialog is warned and then marked overdue by the SLA sweep.

Deadlines come from `otklik.sla.targets` (the ticket clocks' maths and warning rule on the chat's working
schedule and its holidays); the sweep calls `dialogs_sweep` every minute through the hook registered in
`ChatConfig.ready`. Each warning and breach is stamped once (a conditional update of rows locked with SKIP
LOCKED, so parallel sweepers never announce twice), then the desk's lead and agents hear of it through
`otklik.notifications` and webhooks get `chat.dialog.due_soon` / `chat.dialog.overdue`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from otklik.accounts.models import Role, User
from otklik.chat import signals
from otklik.chat.models import Dialog, SupportChat
from otklik.notifications import topics
from otklik.notifications.services import notify_direct
from otklik.sla.calendars import schedule_calendar_data
from otklik.sla.targets import target_deadlines
from otklik.worktime import BusinessCalendar, CalendarConfigError

logger = logging.getLogger(__name__)

BATCH = 500
ANSWERING_ROLES = (Role.AGENT, Role.MANAGER, Role.ADMIN)  # a read-only auditor is not asked to answer
DUE_SOON, OVERDUE = "due_soon", "overdue"


def chat_calendar(chat: SupportChat) -> BusinessCalendar | None:
    """The desk's working calendar (schedule and its holidays); None means around the clock."""
    if chat.schedule is None:
        return None
    try:
        return schedule_calendar_data(chat.schedule).build()
    except CalendarConfigError:
        logger.warning("chat %s: schedule %s is not usable, counting 24/7", chat.pk, chat.schedule_id)
        return None


def first_line_deadlines(chat: SupportChat, start: datetime) -> dict[str, datetime | None]:
    """`due_at` and `warn_at` of a question asked at `start`; both None when the chat sets no target."""
    if not chat.first_response_minutes:
        return {"due_at": None, "warn_at": None}
    deadlines = target_deadlines(start=start, target_minutes=chat.first_response_minutes, calendar=chat_calendar(chat))
    return {"due_at": deadlines.due_at, "warn_at": deadlines.warn_at}


def dialog_state(dialog: Any, now: datetime) -> str:
    """ "overdue", "due_soon" or "" for a row with answered_at, due_at, warn_at (a Dialog or an annotation)."""
    if getattr(dialog, "answered_at", None) is not None:
        return ""
    due, warn = getattr(dialog, "due_at", None), getattr(dialog, "warn_at", None)
    if due is not None and due < now:
        return OVERDUE
    if warn is not None and warn <= now:
        return DUE_SOON
    return ""


def dialogs_sweep(now: datetime) -> dict[str, int]:
    """Stamp and announce what came due; returns {"warned": n, "breached": n}."""
    warned = breached = 0
    while True:
        with transaction.atomic():
            done_breached = _stamp(now, OVERDUE)
            done_warned = _stamp(now, DUE_SOON)
        breached += done_breached
        warned += done_warned
        if done_breached < BATCH and done_warned < BATCH:
            return {"warned": warned, "breached": breached}


def _stamp(now: datetime, kind: str) -> int:
    open_rows = Dialog.objects.filter(answered_at__isnull=True)
    if kind == OVERDUE:
        due = open_rows.filter(breached_at__isnull=True, due_at__lt=now)
    else:
        # A warning that comes due for a dialog already late (after downtime) would only be noise.
        due = open_rows.filter(Q(due_at__isnull=True) | Q(due_at__gte=now), warned_at__isnull=True, warn_at__lte=now)
    ids = list(due.select_for_update(skip_locked=True).order_by("id").values_list("pk", flat=True)[:BATCH])
    if not ids:
        return 0
    field = "breached_at" if kind == OVERDUE else "warned_at"
    Dialog.objects.filter(pk__in=ids, **{f"{field}__isnull": True}).update(**{field: now})
    dialogs = list(
        Dialog.objects.filter(pk__in=ids).select_related(
            "chat", "chat__team", "conversation", "conversation__requester"
        )
    )
    recipients = _desk_people({dialog.chat.team_id for dialog in dialogs})
    for dialog in dialogs:
        _announce(dialog, kind, recipients.get(dialog.chat.team_id, []), now)
    return len(ids)


def _desk_people(team_ids: set[int]) -> dict[int, list[User]]:
    """Lead and staff members of each desk, one query."""
    people: dict[int, list[User]] = {team_id: [] for team_id in team_ids}
    rows = (
        User.objects.filter(Q(teams__in=team_ids, role__in=ANSWERING_ROLES) | Q(led_teams__in=team_ids), is_active=True)
        .prefetch_related("teams", "led_teams")
        .distinct()
    )
    for user in rows:
        for team_id in {team.pk for team in user.teams.all()} | {team.pk for team in user.led_teams.all()}:
            if team_id in people and user not in people[team_id]:
                people[team_id].append(user)
    return people


def _announce(dialog: Dialog, kind: str, recipients: list[User], now: datetime) -> None:
    chat = dialog.chat
    conversation = dialog.conversation
    due = dialog.due_at or now
    notify_direct(
        recipients=recipients,
        topic=topics.CHAT_DIALOG_OVERDUE if kind == OVERDUE else topics.CHAT_DIALOG_DUE_SOON,
        ticket=None,
        key=f"chat-dialog:{dialog.pk}:{kind}",
        now=now,
        extra={
            "chat_name": chat.name,
            "requester_name": conversation.display_name,
            "due_at_iso": due.isoformat(),
            "chat_url": settings.OTKLIK_BASE_URL + reverse("chat:console", args=[chat.pk]),
        },
    )
    signals.chat_dialog_changed.send(sender=Dialog, dialog=dialog, change=kind, at=now)
