"""Producing and delivering notifications.

Two producers share one delivery path: the outbox consumer (committed TicketEvents, fanned out per role)
and `notify_direct` (automation: reminders, escalations, "nobody could be assigned"). Delivery applies,
for every notice: the recipient is active and may see the ticket; staff topics reach staff only; the
text of an internal note is given only to people who may read internal notes; the recipient's
preferences pick the channels; the recipient's language picks the template.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from otklik.accounts import access
from otklik.accounts.models import User
from otklik.core.errors import InvalidInput, NotFound
from otklik.mail.outbound import outbound_enqueue
from otklik.notifications import links, topics
from otklik.notifications.defaults import SLA_TARGET_WORDS
from otklik.notifications.fanout import notices_for_events
from otklik.notifications.models import Notification, NotificationPreference
from otklik.notifications.outbox import outbox_run
from otklik.notifications.rendering import Rendered, TemplateBook, language_of
from otklik.notifications.topics import TOPICS, Audience, topics_for
from otklik.tickets.models import EventKind, Message, Source, Status, Ticket, TicketEvent

logger = logging.getLogger(__name__)

OUTBOX_CONSUMER = "notifications"
SITE_NAME = "Otklik"


@dataclass(frozen=True)
class Notice:
    recipient: User
    topic: str
    ticket: Ticket | None
    # Delivered once per recipient: a second notice with the same key is dropped.
    dedupe_key: str
    event: TicketEvent | None = None
    message: Message | None = None
    actor: User | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    # When the in-app row says it happened (the event's instant); else the delivery's `now`.
    at: datetime | None = None


@dataclass
class DeliveryReport:
    in_app: int = 0
    email: int = 0
    refused: int = 0

    @property
    def delivered(self) -> int:
        return self.in_app + self.email


# ---------------------------------------------------------------- context


def _name(user: User | None) -> str:
    if user is None:
        return SITE_NAME
    return user.get_full_name() or user.email


def _local_time(value: object, recipient: User) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    try:
        zone = ZoneInfo(recipient.time_zone or settings.TIME_ZONE)
    except (KeyError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    if timezone.is_naive(moment):
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _message_text(message: Message | None, recipient: User) -> str:
    """The one place that decides whether a message's words go into a notification."""
    if message is None:
        return ""
    # Decided on the note's ticket at delivery time: an agent who only watches or only asked never gets
    # a note's words, whenever the note was written.
    if message.is_internal and not access.handles(recipient, message.ticket):
        return ""
    return message.body_text.strip() or strip_tags(message.body_html).strip()


class _Statuses:
    """The statuses by code, read once (on first use) for every notice a delivery renders."""

    def __init__(self) -> None:
        self._by_code: dict[str, Status] | None = None

    def label(self, code: object) -> str:
        if not isinstance(code, str):
            return ""
        if self._by_code is None:
            self._by_code = {status.code: status for status in Status.objects.all()}
        status = self._by_code.get(code)
        return status.label if status else code


def notice_context(notice: Notice, statuses: _Statuses | None = None) -> dict[str, str]:
    """Plain strings for the template, in the active (the recipient's) language."""
    statuses = statuses or _Statuses()
    recipient = notice.recipient
    context: dict[str, str] = {
        "site_name": SITE_NAME,
        "recipient_name": recipient.first_name or _name(recipient),
        "actor_name": _name(notice.actor),
        "message_text": _message_text(notice.message, recipient),
        "event_kind": notice.event.kind if notice.event else "",
    }
    ticket = notice.ticket
    if ticket is not None:
        context.update({
            "ticket_number": str(ticket.number),
            "ticket_subject": ticket.subject,
            "ticket_url": links.ticket_url_for(ticket, recipient),
            "rating_url": links.rating_url_for(ticket, recipient),
            "status": ticket.status.label,
            "status_kind": ticket.status.kind,
            "priority": ticket.priority.label,
            "team": ticket.team.name if ticket.team else "",
            "assignee_name": _name(ticket.assignee) if ticket.assignee else "",
        })
    if notice.event is not None:
        data = notice.event.data
        if notice.event.kind == "status_changed":
            # The status the event moved to, not today's: the notice describes that moment.
            context["status"] = statuses.label(data.get("to")) or context.get("status", "")
            context["status_kind"] = str(data.get("to_kind") or context.get("status_kind", ""))
            context["previous_status"] = statuses.label(data.get("from"))
        metric = str(data.get("metric") or data.get("target") or "")
        context["sla_target"] = SLA_TARGET_WORDS.get(metric, {}).get(translation.get_language() or "en", metric)
        context["due_at"] = _local_time(data.get("due_at"), recipient)
    context.update(notice.extra)
    if "due_at_iso" in notice.extra:
        # An instant passed by a direct notice, shown in the recipient's own time zone.
        context["due_at"] = _local_time(notice.extra["due_at_iso"], recipient)
    return context


# ---------------------------------------------------------------- delivery


def _may_receive_before_access(notice: Notice) -> bool:
    recipient = notice.recipient
    if not recipient.is_active:
        return False
    topic = TOPICS[notice.topic]
    is_staff = recipient.is_staff_member or recipient.is_superuser
    return not (topic.audience == Audience.STAFF and not is_staff)


def _receivers(notices: Sequence[Notice]) -> list[bool]:
    """For each notice: the recipient is active, a staff topic goes to staff, and the recipient may see the
    ticket (`access.visible_pairs`, for the whole delivery at once)."""
    first = [_may_receive_before_access(notice) for notice in notices]
    visible = access.visible_pairs(
        (notice.recipient, notice.ticket) for notice, ok in zip(notices, first, strict=True)
        if ok and notice.ticket is not None
    )
    return [
        ok and (notice.ticket is None or (notice.recipient.pk, notice.ticket.pk) in visible)
        for notice, ok in zip(notices, first, strict=True)
    ]


def _preferences(user_ids: Iterable[int], topic_codes: Iterable[str]) -> dict[tuple[int, str], tuple[bool, bool]]:
    rows = NotificationPreference.objects.filter(user_id__in=set(user_ids), topic__in=set(topic_codes))
    return {(row.user_id, row.topic): (row.email, row.in_app) for row in rows}


def _mailed_by_the_email_channel(notice: Notice) -> bool:
    """Mail the email channel sends itself, so a second copy from here would be a duplicate: it
    acknowledges requests that came by email (with its loop guard), and it mails every public staff
    reply to the requester with the watchers from outside support in Cc."""
    ticket, event, recipient = notice.ticket, notice.event, notice.recipient
    if notice.topic == topics.REQUESTER_RECEIVED and ticket is not None and ticket.source == Source.EMAIL:
        return True
    return (
        notice.topic == topics.WATCHER_UPDATE and event is not None and event.kind == EventKind.REPLIED
        and event.data.get("by") == "staff" and not recipient.is_staff_member
    )


def _send_email(notice: Notice, rendered: Rendered) -> None:
    topic = TOPICS[notice.topic]
    as_reply = topic.is_reply and notice.message is not None and not notice.message.is_internal
    # A reply shares the email channel's key, so whichever asks first sends it and the other is a no-op.
    dedupe_key = (
        f"reply:{notice.message.pk}" if as_reply and notice.message
        else f"notification:{notice.dedupe_key}:{notice.recipient.pk}"
    )
    outbound_enqueue(
        to=[notice.recipient.email],
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        ticket_id=notice.ticket.pk if notice.ticket else None,
        kind="reply" if as_reply else "notification",
        auto_generated=not as_reply,
        dedupe_key=dedupe_key,
        reply_message_id=notice.message.pk if as_reply and notice.message else None,
    )


def notices_deliver(notices: Sequence[Notice], *, now: datetime) -> DeliveryReport:
    """Deliver through every channel the recipient keeps on. Call inside a transaction: the in-app rows and
    the mail queue entries commit with the work that produced them.

    One read each for the templates, the preferences, the recipients' access and the keys delivered before,
    and one insert for every in-app row, however many notices."""
    report = DeliveryReport()
    if not notices:
        return report
    book = TemplateBook()
    statuses = _Statuses()
    preferences = _preferences((n.recipient.pk for n in notices), (n.topic for n in notices))
    receives = _receivers(notices)
    delivered_before = _delivered_before(
        notice for notice, ok in zip(notices, receives, strict=True)
        if ok and preferences.get((notice.recipient.pk, notice.topic), (True, True))[1]
    )
    rows: list[Notification] = []
    for notice, ok in zip(notices, receives, strict=True):
        if not ok:
            report.refused += 1
            continue
        wants_email, wants_in_app = preferences.get((notice.recipient.pk, notice.topic), (True, True))
        key = (notice.recipient.pk, notice.dedupe_key[:200])
        if wants_in_app and key in delivered_before:
            continue  # delivered before: neither the bell nor the mail repeats it
        language = language_of(notice.recipient)
        with translation.override(language):
            rendered = book.render(notice.topic, language, notice_context(notice, statuses))
        if wants_in_app:
            delivered_before.add(key)
            rows.append(Notification(
                recipient=notice.recipient, topic=notice.topic, ticket=notice.ticket, event=notice.event,
                title=rendered.subject, body=rendered.body_text[:5000],
                url=links.ticket_path(notice.ticket) if notice.ticket else "",
                dedupe_key=key[1], created_at=notice.at or now,
            ))
            report.in_app += 1
        if wants_email and notice.recipient.email and not _mailed_by_the_email_channel(notice):
            _send_email(notice, rendered)
            report.email += 1
    # A row another producer wrote since the read above is kept, not doubled (its mail is deduplicated by
    # the outbox's own key).
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return report


def _delivered_before(notices: Iterable[Notice]) -> set[tuple[int, str]]:
    wanted = {(notice.recipient.pk, notice.dedupe_key[:200]) for notice in notices}
    if not wanted:
        return set()
    rows = Notification.objects.filter(
        recipient_id__in={pk for pk, _key in wanted}, dedupe_key__in={key for _pk, key in wanted}
    ).values_list("recipient_id", "dedupe_key")
    return {row for row in rows if row in wanted}


def notify_direct(
    *, recipients: Iterable[User], topic: str, ticket: Ticket | None, key: str, now: datetime,
    extra: Mapping[str, str] | None = None,
) -> DeliveryReport:
    """A notice that is not about one recorded event (a reminder, an escalation); `key` makes it once-only."""
    if topic not in TOPICS:
        raise InvalidInput(_("Unknown notification topic %(topic)s.") % {"topic": topic})
    notices = []
    seen: set[int] = set()
    for user in recipients:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        notices.append(Notice(recipient=user, topic=topic, ticket=ticket, dedupe_key=key, extra=extra or {}))
    return notices_deliver(notices, now=now)


def _handle_events(events: list[TicketEvent]) -> None:
    """Fan out and deliver a batch of events: their tickets, the facts the fan-out asks about, the actors
    and the delivery are read once for the batch."""
    tickets = Ticket.objects.select_related("requester", "assignee", "team__lead", "status", "priority").in_bulk(
        {event.ticket_id for event in events})
    pairs = [(event, tickets[event.ticket_id]) for event in events if event.ticket_id in tickets]
    fanned = notices_for_events(pairs)
    actor_ids = {event.actor_id for event, _ticket in pairs if event.actor_id and fanned[event.pk].recipients}
    actors = User.objects.in_bulk(actor_ids) if actor_ids else {}
    notices = [
        Notice(
            recipient=item.user, topic=item.topic, ticket=ticket, event=event, message=fanned[event.pk].message,
            actor=actors.get(event.actor_id) if event.actor_id else None, dedupe_key=f"event:{event.pk}",
            at=event.created_at,
        )
        for event, ticket in pairs
        for item in fanned[event.pk].recipients
    ]
    notices_deliver(notices, now=timezone.now())


def _handle_event(event: TicketEvent) -> None:
    _handle_events([event])


def notifications_process(*, now: datetime) -> int:
    """Fan out every committed event not handled yet; safe with any number of concurrent workers."""
    return outbox_run(consumer=OUTBOX_CONSUMER, handler=_handle_event, batch_handler=_handle_events, now=now)


# ---------------------------------------------------------------- the person's side


def notification_open(*, user: User, notification_id: int, now: datetime) -> Notification:
    """Mark one's own notification read; someone else's is simply not found."""
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = now
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User, now: datetime) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=now)


@transaction.atomic
def preferences_save(*, user: User, choices: Mapping[str, tuple[bool, bool]]) -> None:
    """Store (email, in_app) per topic the person may receive; unknown topics are refused."""
    allowed = {topic.code for topic in topics_for(is_staff=user.is_staff_member or user.is_superuser)}
    unknown = set(choices) - allowed
    if unknown:
        raise InvalidInput(_("Unknown notification topics: %(topics)s.") % {"topics": ", ".join(sorted(unknown))})
    for code, (email, in_app) in choices.items():
        NotificationPreference.objects.update_or_create(
            user=user, topic=code, defaults={"email": email, "in_app": in_app}
        )
