"""Writes of the automation app that people make by hand: their canned replies."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.automation import scope
from otklik.automation.models import CannedReply
from otklik.core.errors import InvalidInput, PermissionDenied


def may_manage_canned_reply(actor: User, *, owner_id: int | None, team_id: int | None) -> bool:
    return scope.may_manage(actor, owner_id=owner_id, team_id=team_id)


@transaction.atomic
def canned_reply_save(*, actor: User, reply_id: int | None, values: dict[str, Any]) -> CannedReply:
    """Create or change a canned reply; its place (personal, team, shared) is checked before and after."""
    reply = CannedReply() if reply_id is None else CannedReply.objects.select_for_update().filter(pk=reply_id).first()
    if reply is None:
        raise InvalidInput(_("This canned reply no longer exists."))
    if reply_id is not None and not may_manage_canned_reply(actor, owner_id=reply.owner_id, team_id=reply.team_id):
        raise PermissionDenied(_("You may not change this canned reply."))
    title = " ".join(str(values.get("title", "")).split())[:200]
    body = str(values.get("body", "")).strip()
    if not title or not body:
        raise InvalidInput(_("A canned reply needs a title and a text."),
                           errors={key: _("This field is required.") for key, value in
                                   (("title", title), ("body", body)) if not value})
    team = values.get("team")
    owner_id = None if team is not None else actor.pk  # personal unless given to a team
    team_id = team.pk if team is not None else None
    if not may_manage_canned_reply(actor, owner_id=owner_id, team_id=team_id):
        raise PermissionDenied(_("You may only add replies for yourself or for your teams."))
    reply.title, reply.body, reply.body_ru = title, body, str(values.get("body_ru", "")).strip()
    reply.owner_id, reply.team_id = owner_id, team_id
    reply.save()
    return reply


@transaction.atomic
def canned_reply_delete(*, actor: User, reply_id: int) -> None:
    reply = CannedReply.objects.select_for_update().filter(pk=reply_id).first()
    if reply is None:
        return
    if not may_manage_canned_reply(actor, owner_id=reply.owner_id, team_id=reply.team_id):
        raise PermissionDenied(_("You may not change this canned reply."))
    reply.delete()
