"""Who serves, asks in and reads the support chats: part of the access module (`otklik.accounts.access`
re-exports every rule here, so callers have one place to ask).

A chat is served by its desk: the team's members and lead (staff), and administrators; they see every
conversation and the internal remarks. A requester asks in the chats whose membership includes them
and sees only their own conversation, never internal remarks. Widget guests are not users: their one
conversation is reached by its secret key alone, never through these functions.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet

from otklik.accounts.access import _is_active_person, _is_staff, _remembered, _sees_everything, _team_kinds
from otklik.accounts.models import Team, User


def _team_ids_of(viewer: User) -> list[int]:
    def member_or_lead() -> list[int]:
        led = viewer.led_teams.values_list("pk", flat=True)
        return sorted({pk for pk, _kind in _team_kinds(viewer)} | set(led))

    return _remembered(("team_ids", viewer.pk), member_or_lead)


def chats_served_by(viewer: User | None) -> QuerySet[Any]:
    chats = apps.get_model("chat", "SupportChat").objects.all()
    if viewer is None or not _is_active_person(viewer) or not _is_staff(viewer):
        return chats.none()
    if _sees_everything(viewer):
        return chats
    # A subquery, not a list read first: "does this person serve this chat" is one query on every message.
    teams = Team.objects.filter(Q(members=viewer) | Q(lead=viewer)).values("pk")
    return chats.filter(team_id__in=teams)


def chats_askable_by(viewer: User | None) -> QuerySet[Any]:
    """Active chats whose membership includes the viewer as someone who asks."""
    chats = apps.get_model("chat", "SupportChat").objects.filter(is_active=True)
    if viewer is None or not _is_active_person(viewer):
        return chats.none()
    rule = Q(membership="everyone") | Q(membership="people", people=viewer)
    if viewer.organization_id is not None:
        rule |= Q(membership="organizations", organizations=viewer.organization_id)
    # The membership joins may repeat a chat; a subquery keeps the outer query free of duplicates.
    return chats.filter(pk__in=chats.filter(rule).values("pk"))


def chats_visible_to(viewer: User | None) -> QuerySet[Any]:
    chats = apps.get_model("chat", "SupportChat").objects.all()
    served = chats_served_by(viewer).values("pk")
    askable = chats_askable_by(viewer).values("pk")
    return chats.filter(Q(pk__in=served) | Q(pk__in=askable))


def chat_serves(viewer: User | None, chat_id: int) -> bool:
    return chats_served_by(viewer).filter(pk=chat_id).exists()


def chat_writer(viewer: User) -> bool:
    """Among those who serve a chat, who may write in it (a read-only auditor reads every conversation,
    says nothing)."""
    return bool(viewer.is_superuser or viewer.can_write)


def chat_may_answer(viewer: User | None, chat_id: int) -> bool:
    """Staff who serve the chat and may write."""
    return bool(viewer is not None and chat_writer(viewer) and chat_serves(viewer, chat_id))


def chat_may_make_tickets(viewer: User | None, chat_id: int, team_id: int) -> bool:
    """Only a member of both the chat (serving it) and the desk's team turns a message into a ticket."""
    if viewer is None or not chat_may_answer(viewer, chat_id):
        return False
    return team_id in _team_ids_of(viewer)


def chat_messages_visible_to(viewer: User | None, chat_id: int) -> QuerySet[Any]:
    """The chat's messages the viewer may read: all of them for its servers, else their own conversation's
    public messages when they may ask there, else none."""
    messages = apps.get_model("chat", "ChatMessage").objects.filter(chat_id=chat_id)
    if viewer is None or not _is_active_person(viewer):
        return messages.none()
    if chat_serves(viewer, chat_id):
        return messages
    if not chats_askable_by(viewer).filter(pk=chat_id).exists():
        return messages.none()
    return messages.filter(conversation__requester_id=viewer.pk, is_internal=False)
