"""What a person can hear about: one topic per role and event, each with its own template and preference.

A topic's audience decides who may ever receive it: requester topics go to requesters, staff topics only
to staff (they may quote internal notes), shared topics to both, never with internal text for requesters.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Audience(enum.StrEnum):
    REQUESTER = "requester"
    STAFF = "staff"
    ANYONE = "anyone"


@dataclass(frozen=True)
class Topic:
    code: str
    audience: Audience
    label: str | Promise
    # Email of an agent's public reply goes out as a threaded reply, not as an automatic notice.
    is_reply: bool = False


REQUESTER_RECEIVED = "requester_received"
REQUESTER_REPLIED = "requester_replied"
REQUESTER_STATUS_CHANGED = "requester_status_changed"
REQUESTER_NEEDS_CLARIFICATION = "requester_needs_clarification"
REQUESTER_RESOLVED = "requester_resolved"
REQUESTER_CLARIFICATION_REMINDER = "requester_clarification_reminder"
ASSIGNEE_ASSIGNED = "assignee_assigned"
ASSIGNEE_REQUESTER_REPLIED = "assignee_requester_replied"
STAFF_NOTE_ADDED = "staff_note_added"
SLA_WARNING = "sla_warning"
SLA_BREACHED = "sla_breached"
PREVIOUS_ASSIGNEE_REASSIGNED = "previous_assignee_reassigned"
LEAD_SLA_BREACHED = "lead_sla_breached"
LEAD_UNASSIGNED_TOO_LONG = "lead_unassigned_too_long"
LEAD_NO_ASSIGNEE_FOUND = "lead_no_assignee_found"
WATCHER_UPDATE = "watcher_update"
AUTOMATION_NOTICE = "automation_notice"
CHAT_DIALOG_DUE_SOON = "chat_dialog_due_soon"
CHAT_DIALOG_OVERDUE = "chat_dialog_overdue"

TOPICS: dict[str, Topic] = {
    topic.code: topic
    for topic in [
        Topic(REQUESTER_RECEIVED, Audience.REQUESTER, _("My request was received")),
        Topic(REQUESTER_REPLIED, Audience.REQUESTER, _("Support replied to my request"), is_reply=True),
        Topic(REQUESTER_STATUS_CHANGED, Audience.REQUESTER, _("The status of my request changed")),
        Topic(REQUESTER_NEEDS_CLARIFICATION, Audience.REQUESTER, _("Support needs more information from me")),
        Topic(REQUESTER_RESOLVED, Audience.REQUESTER, _("My request was resolved")),
        Topic(REQUESTER_CLARIFICATION_REMINDER, Audience.REQUESTER, _("Reminder: support is waiting for my answer")),
        Topic(ASSIGNEE_ASSIGNED, Audience.STAFF, _("A ticket was assigned to me")),
        Topic(ASSIGNEE_REQUESTER_REPLIED, Audience.STAFF, _("The requester replied on my ticket")),
        Topic(STAFF_NOTE_ADDED, Audience.STAFF, _("An internal note was added to my ticket")),
        Topic(SLA_WARNING, Audience.STAFF, _("SLA deadline approaching")),
        Topic(SLA_BREACHED, Audience.STAFF, _("SLA deadline breached")),
        Topic(PREVIOUS_ASSIGNEE_REASSIGNED, Audience.STAFF, _("My ticket was reassigned to someone else")),
        Topic(LEAD_SLA_BREACHED, Audience.STAFF, _("A ticket of my team breached its SLA")),
        Topic(LEAD_UNASSIGNED_TOO_LONG, Audience.STAFF, _("A ticket of my team has been unassigned too long")),
        Topic(LEAD_NO_ASSIGNEE_FOUND, Audience.STAFF, _("Nobody could be assigned to a ticket automatically")),
        Topic(WATCHER_UPDATE, Audience.ANYONE, _("Updates on tickets I watch")),
        Topic(AUTOMATION_NOTICE, Audience.ANYONE, _("Messages from automation rules")),
        Topic(CHAT_DIALOG_DUE_SOON, Audience.STAFF, _("A chat question of my desk nears its first-line target")),
        Topic(CHAT_DIALOG_OVERDUE, Audience.STAFF, _("A chat question of my desk passed its first-line target")),
    ]
}


def topics_for(*, is_staff: bool) -> list[Topic]:
    """The topics a person of this kind can receive, for the preferences page."""
    wanted = {Audience.ANYONE, Audience.STAFF if is_staff else Audience.REQUESTER}
    return [topic for topic in TOPICS.values() if topic.audience in wanted]
