"""Every read of support chats, starting from what the viewer may see (`otklik.accounts.access`).

First-line metrics (the contract the reports page builds on):
- a *dialog* is one requester's question (their consecutive messages in their conversation) and the first
  specialist answer after it; it counts in the period its question started in (installation time zone);
- *response time* runs from the question's first message to that answer: 24/7 seconds, and working
  seconds of the chat's schedule (24/7 when it has none);
- averages, median and p90 (nearest rank) are over the answered dialogs; `unanswered` counts the period's
  dialogs that have no answer yet.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from otklik.accounts import access
from otklik.accounts.access import chats as chat_access
from otklik.accounts.models import User
from otklik.chat.firstline import dialog_state
from otklik.chat.models import ChatMessage, Conversation, Dialog, SupportChat
from otklik.chat.payloads import MESSAGE_RELATED
from otklik.core.errors import NotFound
from otklik.tickets.models import ACTIVE_KINDS, Ticket

METRIC_KEYS = (
    "dialogs", "avg_response_seconds", "median_response_seconds", "p90_response_seconds",
    "avg_response_working_seconds", "unanswered",
)


# ---------------------------------------------------------------- chats and messages


def chats_visible_to(viewer: User | None) -> QuerySet[SupportChat]:
    return chat_access.chats_visible_to(viewer).select_related("team")


def chat_get_for(viewer: User | None, chat_id: int) -> SupportChat:
    chat = chats_visible_to(viewer).filter(pk=chat_id).first()
    if chat is None:
        raise NotFound()
    return chat


def messages_visible_to(viewer: User | None, chat_id: int) -> QuerySet[ChatMessage]:
    return (
        chat_access.chat_messages_visible_to(viewer, chat_id)
        .select_related(*MESSAGE_RELATED)
        .prefetch_related("attachments")
    )


def guest_messages(conversation: Conversation) -> QuerySet[ChatMessage]:
    """A widget guest's own thread: public messages only."""
    return (
        ChatMessage.objects.filter(conversation_id=conversation.pk, is_internal=False)
        .select_related(*MESSAGE_RELATED)
        .prefetch_related("attachments")
    )


def messages_after(messages: QuerySet[ChatMessage], after_id: int | None, limit: int = 200) -> list[ChatMessage]:
    """What a reconnecting client missed: strictly after the last id it has, in order, so nothing repeats."""
    if after_id is not None:
        messages = messages.filter(pk__gt=after_id)
    return list(messages.order_by("id")[:limit])


def messages_before(messages: QuerySet[ChatMessage], before_id: int | None, limit: int = 50) -> list[ChatMessage]:
    """A page of history, oldest first, ending just before `before_id` (the newest page without it)."""
    if before_id is not None:
        messages = messages.filter(pk__lt=before_id)
    return list(reversed(messages.order_by("-id")[:limit]))


def last_messages_for_ticket(viewer: User, chat_id: int, limit: int = 10) -> list[ChatMessage]:
    """`/ticket`: the chat's last requester messages, newest first, to pick one from."""
    rows = messages_visible_to(viewer, chat_id).filter(is_internal=False, from_staff=False, ticket__isnull=True)
    return list(rows.order_by("-id")[:limit])


def dialogs_visible_to(viewer: User | None, chat_id: int) -> QuerySet[Dialog]:
    """Dialogs are staff's measure: those who serve the chat see them; requesters see none."""
    if not chat_access.chat_serves(viewer, chat_id):
        return Dialog.objects.none()
    return Dialog.objects.filter(chat_id=chat_id)


@dataclass(frozen=True)
class ConsoleRow:
    conversation: Conversation
    waiting_since: datetime | None
    due_at: datetime | None
    last_text: str
    warn_at: datetime | None = None

    def target_state(self, now: datetime) -> str:
        """"overdue", "due_soon" or "": the console's badge, by the same rule as the sweep."""
        return dialog_state(self, now)

    @property
    def answered_at(self) -> None:
        return None  # a console row's deadlines are those of its open question

    def waiting_seconds(self, now: datetime) -> int | None:
        return None if self.waiting_since is None else max(0, int((now - self.waiting_since).total_seconds()))


def console_conversations(viewer: User, chat_id: int, limit: int = 100) -> list[ConsoleRow]:
    """The conversations of a chat for its console: unanswered questions first, the nearest first-line deadline
    (overdue ones) on top, then the longest waiting."""
    if not chat_access.chat_serves(viewer, chat_id):
        raise NotFound()
    open_dialog = Dialog.objects.filter(conversation_id=OuterRef("pk"), answered_at__isnull=True)
    last = ChatMessage.objects.filter(conversation_id=OuterRef("pk"), is_internal=False).order_by("-id")
    rows = (
        # A requester who only opened the chat page has a conversation without messages: nothing to show.
        Conversation.objects.filter(chat_id=chat_id, last_message_at__isnull=False)
        .select_related("requester")
        .annotate(
            waiting_since=Subquery(open_dialog.values("started_at")[:1]),
            due_at=Subquery(open_dialog.values("due_at")[:1]),
            warn_at=Subquery(open_dialog.values("warn_at")[:1]),
            last_text=Subquery(last.values("text")[:1]),
        )
        .order_by(
            # The target is per chat: with one, every open question has a deadline, answered ones none.
            F("due_at").asc(nulls_last=True), F("waiting_since").asc(nulls_last=True),
            F("last_message_at").desc(nulls_last=True), "-id",
        )
    )
    return [
        ConsoleRow(conversation=row, waiting_since=row.waiting_since, due_at=row.due_at, last_text=row.last_text or "",
                   warn_at=row.warn_at)
        for row in rows[:limit]
    ]


def unanswered_count(viewer: User) -> int:
    return Dialog.objects.filter(chat__in=chat_access.chats_served_by(viewer), answered_at__isnull=True).count()


@dataclass(frozen=True)
class TargetCounts:
    unanswered: int
    due_soon: int
    overdue: int


def target_counts(viewer: User, now: datetime, chat_id: int | None = None) -> TargetCounts:
    """Unanswered questions of the chats the viewer serves, and how many are near or past the first-line
    target (by the deadlines, so a row the sweep has not reached yet counts too). One query."""
    rows = Dialog.objects.filter(chat__in=chat_access.chats_served_by(viewer), answered_at__isnull=True)
    if chat_id is not None:
        rows = rows.filter(chat_id=chat_id)
    counts = rows.aggregate(
        unanswered=Count("id"),
        overdue=Count("id", filter=Q(due_at__lt=now)),
        due_soon=Count("id", filter=Q(warn_at__lte=now) & (Q(due_at__isnull=True) | Q(due_at__gte=now))),
    )
    return TargetCounts(**{key: int(value or 0) for key, value in counts.items()})


# ---------------------------------------------------------------- /my


def my_open_tickets(viewer: User) -> dict[str, list[Ticket]]:
    """`/my`: the caller's open tickets, oldest first: doing (assigned to me), leading (my team's lead or
    initiator), watching (I asked or watch). A ticket appears in the first group it fits."""
    open_tickets = (
        access.tickets_visible_to(viewer).filter(status__kind__in=ACTIVE_KINDS, merged_into__isnull=True)
        .select_related("status").order_by("created_at", "id")
    )
    doing = list(open_tickets.filter(assignee_id=viewer.pk))
    leading = list(open_tickets.exclude(assignee_id=viewer.pk).filter(team__lead_id=viewer.pk))
    watching = list(
        open_tickets.exclude(assignee_id=viewer.pk)
        .exclude(Q(team__lead_id=viewer.pk) & Q(team__isnull=False))
        .filter(Q(requester_id=viewer.pk) | Q(watchers=viewer.pk))
        .distinct()
    )
    return {"doing": doing, "leading": leading, "watching": watching}


# ---------------------------------------------------------------- first-line metrics


def percentile_nearest_rank(values: Sequence[int], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[rank - 1])


def metrics_of(rows: Iterable[tuple[int | None, int | None]]) -> dict[str, Any]:
    """From (response_seconds, response_working_seconds) per dialog, None for unanswered."""
    total = 0
    seconds: list[int] = []
    working: list[int] = []
    for plain, work in rows:
        total += 1
        if plain is not None:
            seconds.append(plain)
            working.append(work if work is not None else plain)
    return {
        "dialogs": total,
        "avg_response_seconds": (sum(seconds) / len(seconds)) if seconds else None,
        "median_response_seconds": float(statistics.median(seconds)) if seconds else None,
        "p90_response_seconds": percentile_nearest_rank(seconds, 0.9),
        "avg_response_working_seconds": (sum(working) / len(working)) if working else None,
        "unanswered": total - len(seconds),
    }


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _scoped_dialogs(viewer: User | None, chat_id: int | None, team_id: int | None) -> QuerySet[Dialog]:
    dialogs = Dialog.objects.filter(chat__in=chat_access.chats_served_by(viewer))
    if chat_id is not None:
        dialogs = dialogs.filter(chat_id=chat_id)
    if team_id is not None:
        dialogs = dialogs.filter(chat__team_id=team_id)
    return dialogs


def first_line_metrics(
    viewer: User | None, *, start: date, end: date, chat_id: int | None = None, team_id: int | None = None
) -> dict[str, Any]:
    """Dialogs started from `start` to `end` (inclusive days, installation time zone) in chats the viewer
    serves; the keys of METRIC_KEYS."""
    dialogs = _scoped_dialogs(viewer, chat_id, team_id).filter(
        started_at__gte=_local_midnight(start), started_at__lt=_local_midnight(end + timedelta(days=1))
    )
    return metrics_of(dialogs.values_list("response_seconds", "response_working_seconds"))


def _month_start(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def first_line_monthly(viewer: User | None, *, months: int = 6, team_id: int | None = None) -> list[dict[str, Any]]:
    """One dict per month, oldest first, ending with the current month: "month" ("YYYY-MM") and the metrics.
    One query for the whole span, bucketed here."""
    months = max(1, min(months, 120))
    today = timezone.localdate()
    first = _month_start(today, months - 1)
    rows = _scoped_dialogs(viewer, None, team_id).filter(started_at__gte=_local_midnight(first)).values_list(
        "started_at", "response_seconds", "response_working_seconds"
    )
    buckets: dict[str, list[tuple[int | None, int | None]]] = {}
    for index in range(months):
        buckets[_month_start(today, months - 1 - index).strftime("%Y-%m")] = []
    for started_at, plain, work in rows:
        key = timezone.localtime(started_at).strftime("%Y-%m")
        if key in buckets:
            buckets[key].append((plain, work))
    return [{"month": month, **metrics_of(values)} for month, values in buckets.items()]


def first_line_by_specialist(
    viewer: User | None, *, start: date, end: date, chat_id: int | None = None, team_id: int | None = None
) -> list[dict[str, Any]]:
    """Answered dialogs per specialist who gave the first answer: the same metrics, busiest first."""
    rows = _scoped_dialogs(viewer, chat_id, team_id).filter(
        started_at__gte=_local_midnight(start), started_at__lt=_local_midnight(end + timedelta(days=1)),
        answered_by__isnull=False,
    ).values_list("answered_by_id", "response_seconds", "response_working_seconds")
    per_person: dict[int, list[tuple[int | None, int | None]]] = {}
    for person_id, plain, work in rows:
        per_person.setdefault(person_id, []).append((plain, work))
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=list(per_person))}
    result = [
        {"user_id": person_id, "name": names.get(person_id, ""), **metrics_of(values)}
        for person_id, values in per_person.items()
    ]
    return sorted(result, key=lambda row: (-row["dialogs"], row["name"]))
