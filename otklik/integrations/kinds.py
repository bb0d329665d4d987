"""The catalogue of webhook event kinds: every ticket event kind, and the chat kinds.

Chat kinds are opt-in: a subscription with an empty kind list receives every *ticket* kind (what it was
made for), and a chat kind only when it lists it, so an existing receiver never meets a payload without a
ticket. Scope rules as for tickets: a public subscription never receives an internal remark; a
staff-scoped one that lists `chat.message.created` receives remarks too, marked `is_internal`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from otklik.tickets.models import EventKind

CHAT_MESSAGE_CREATED = "chat.message.created"
CHAT_DIALOG_OPENED = "chat.dialog.opened"
CHAT_DIALOG_ANSWERED = "chat.dialog.answered"
CHAT_DIALOG_DUE_SOON = "chat.dialog.due_soon"
CHAT_DIALOG_OVERDUE = "chat.dialog.overdue"

CHAT_KINDS: dict[str, object] = {
    CHAT_MESSAGE_CREATED: _("Chat: a message was posted"),
    CHAT_DIALOG_OPENED: _("Chat: a question opened a dialog"),
    CHAT_DIALOG_ANSWERED: _("Chat: a dialog was answered"),
    CHAT_DIALOG_DUE_SOON: _("Chat: an unanswered dialog nears its first-line target"),
    CHAT_DIALOG_OVERDUE: _("Chat: an unanswered dialog passed its first-line target"),
}

WEBHOOK_KIND_CHOICES: list[tuple[str, object]] = [*EventKind.choices, *CHAT_KINDS.items()]
WEBHOOK_KINDS: frozenset[str] = frozenset(code for code, _label in WEBHOOK_KIND_CHOICES)


def is_chat_kind(kind: str) -> bool:
    return kind in CHAT_KINDS
