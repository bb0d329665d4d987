"""Macros: which ones an agent is offered, how agents keep them, and applying one to a ticket.

Applying is nothing but the ticket services called one after another as the agent, inside one
transaction: every change is the usual history event (marked "via" the macro), every step checks access
exactly as by hand, and a refused step (an auditor, a ticket of another team) leaves nothing behind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from otklik.accounts import access
from otklik.accounts.models import Team, User
from otklik.automation import scope
from otklik.automation.forbidden import reply_guard
from otklik.automation.models import Macro, MacroAssignee, MacroText
from otklik.automation.placeholders import fill_placeholders
from otklik.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from otklik.notifications.rendering import language_of
from otklik.tickets import changes
from otklik.tickets import services as ticket_services
from otklik.tickets.models import Ticket
from otklik.tickets.tags import tags_ensure, tags_parse, ticket_change_tags

MACRO_RELATED = ("set_status", "set_priority", "set_category", "set_team", "assignee", "team", "owner")


def macros_offered_to(agent: User) -> QuerySet[Macro]:
    """Active macros the agent may apply: shared, their own and their teams' (the canned-reply rule)."""
    return (
        Macro.objects.filter(scope.offered_to(agent), is_active=True)
        .distinct()
        .select_related(*MACRO_RELATED)
        .prefetch_related("add_tags", "remove_tags")
        .order_by("order", "title", "id")
    )


def macros_managed_by(agent: User) -> QuerySet[Macro]:
    """Macros the agent keeps in the workspace: personal and their teams' (shared ones: the admin)."""
    return (
        Macro.objects.filter(scope.managed_in_workspace(agent))
        .distinct()
        .select_related(*MACRO_RELATED)
        .prefetch_related("add_tags", "remove_tags")
        .order_by("team__name", "order", "title")
    )


def macro_get_for(agent: User, macro_id: int) -> Macro:
    """A macro the agent is offered; absent and not offered raise the same NotFound."""
    macro = macros_offered_to(agent).filter(pk=macro_id).first()
    if macro is None:
        raise NotFound(_("There is no such macro."))
    return macro


def macro_summary(macro: Macro) -> list[str]:
    """What the macro does, in words, for its button's description and the management list."""
    parts: list[str] = []
    if macro.set_team is not None:
        parts.append(_("team: %(value)s") % {"value": macro.set_team.label})
    if macro.assignee_action == MacroAssignee.ME:
        parts.append(_("assign to me"))
    elif macro.assignee_action == MacroAssignee.PERSON and macro.assignee is not None:
        parts.append(_("assign to %(value)s") % {"value": macro.assignee})
    elif macro.assignee_action == MacroAssignee.UNASSIGN:
        parts.append(_("remove the assignee"))
    if macro.set_category is not None:
        parts.append(_("category: %(value)s") % {"value": macro.set_category.path_label})
    if macro.set_priority is not None:
        parts.append(_("priority: %(value)s") % {"value": macro.set_priority.label})
    added = [tag.name for tag in macro.add_tags.all()]
    if added:
        parts.append(_("add tags: %(value)s") % {"value": ", ".join(added)})
    removed = [tag.name for tag in macro.remove_tags.all()]
    if removed:
        parts.append(_("remove tags: %(value)s") % {"value": ", ".join(removed)})
    if macro.text_kind == MacroText.REPLY:
        parts.append(_("public reply"))
    elif macro.text_kind == MacroText.NOTE:
        parts.append(_("internal note"))
    if macro.set_status is not None:
        parts.append(_("status: %(value)s") % {"value": macro.set_status.label})
    return parts


@dataclass
class MacroOutcome:
    ticket: Ticket
    steps: list[str] = field(default_factory=list)


@transaction.atomic
def macro_apply(*, actor: User, ticket_id: int, macro_id: int, now: datetime) -> MacroOutcome:
    """Apply a macro as `actor`: category, priority, tags, the text, the status (after the text, so "reply and
    wait for the requester" ends waiting), the assignee, and the team last (a move to another line may take
    the ticket out of the agent's scope). All or nothing: a refused step undoes the others."""
    ticket = ticket_services.ticket_lock(ticket_id)
    access.ensure_can(actor, "view", ticket)  # an unseen ticket is absent, whoever asks
    access.ensure_staff_writer(actor)
    macro = macro_get_for(actor, macro_id)
    outcome = MacroOutcome(ticket=ticket)
    with ticket_services.events_via({"macro": macro.pk, "name": macro.title}):
        if macro.set_category is not None:
            changes.ticket_change_category(
                actor=actor, ticket_id=ticket_id, category=macro.set_category, now=now
            )
            outcome.steps.append("category")
        if macro.set_priority is not None:
            changes.ticket_change_priority(
                actor=actor, ticket_id=ticket_id, priority=macro.set_priority, now=now
            )
            outcome.steps.append("priority")
        added = [tag.name for tag in macro.add_tags.all()]
        removed = [tag.name for tag in macro.remove_tags.all()]
        if added or removed:
            ticket_change_tags(actor=actor, ticket_id=ticket_id, add=added, remove=removed, now=now)
            outcome.steps.append("tags")
        if macro.text_kind and macro.body.strip():
            outcome.steps.append(_macro_text(macro, actor=actor, ticket_id=ticket_id, now=now))
        if macro.set_status is not None:
            changes.ticket_change_status(actor=actor, ticket_id=ticket_id, status=macro.set_status, now=now)
            outcome.steps.append("status")
        assignee: User | None = None
        if macro.assignee_action == MacroAssignee.ME:
            assignee = actor
        elif macro.assignee_action == MacroAssignee.PERSON:
            assignee = macro.assignee
        if macro.assignee_action and (assignee is not None or macro.assignee_action == MacroAssignee.UNASSIGN):
            changes.ticket_assign(actor=actor, ticket_id=ticket_id, assignee=assignee, now=now)
            outcome.steps.append("assignee")
        # Last: handing the ticket to another team may take it out of the agent's hands.
        if macro.set_team is not None:
            changes.ticket_change_team(actor=actor, ticket_id=ticket_id, team=macro.set_team, now=now)
            outcome.steps.append("team")
    outcome.ticket = ticket_services.ticket_lock(ticket_id)
    return outcome


def _macro_text(macro: Macro, *, actor: User, ticket_id: int, now: datetime) -> str:
    """The macro's reply (in the requester's language, held for forbidden words like a typed one) or note."""
    current = ticket_services.ticket_lock(ticket_id)
    if macro.text_kind == MacroText.REPLY:
        text = fill_placeholders(macro.text_for(language_of(current.requester)), ticket=current, agent=actor)
        reply_guard(body_text=text)
        ticket_services.ticket_reply(actor=actor, ticket_id=ticket_id, body_text=text, now=now)
        return "reply"
    text = fill_placeholders(macro.text_for(language_of(actor)), ticket=current, agent=actor)
    ticket_services.ticket_add_note(actor=actor, ticket_id=ticket_id, body_text=text, now=now)
    return "note"


@dataclass(frozen=True)
class BulkOutcome:
    done: int
    refused: int


def macro_apply_bulk(*, actor: User, ticket_ids: Sequence[int], macro_id: int, now: datetime) -> BulkOutcome:
    """The macro on each ticket, each in its own transaction (one refusal does not undo the others)."""
    macro_get_for(actor, macro_id)  # an unknown macro is one error, not N refusals
    done = refused = 0
    for ticket_id in ticket_ids:
        try:
            macro_apply(actor=actor, ticket_id=ticket_id, macro_id=macro_id, now=now)
        except DomainError:
            refused += 1
        else:
            done += 1
    return BulkOutcome(done=done, refused=refused)


# ---------------------------------------------------------------- keeping macros


_COPIED = ("set_status", "set_priority", "set_category", "set_team")


@transaction.atomic
def macro_save(*, actor: User, macro_id: int | None, values: dict[str, Any]) -> Macro:
    """Create or change a macro from the workspace; its place (personal or a team's) is checked before and
    after, by the rule canned replies follow."""
    macro = Macro() if macro_id is None else Macro.objects.select_for_update().filter(pk=macro_id).first()
    if macro is None:
        raise InvalidInput(_("This macro no longer exists."))
    if macro_id is not None and not scope.may_manage(actor, owner_id=macro.owner_id, team_id=macro.team_id):
        raise PermissionDenied(_("You may not change this macro."))
    title = " ".join(str(values.get("title", "")).split())[:200]
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("This field is required.")
    text_kind = str(values.get("text_kind") or "")
    body = str(values.get("body", "")).strip()
    if text_kind and not body:
        errors["body"] = _("Write the text, or choose “No text”.")
    if body and not text_kind:
        errors["text_kind"] = _("Choose whether the text is a public reply or an internal note.")
    assignee_action = str(values.get("assignee_action") or "")
    if assignee_action == MacroAssignee.PERSON and values.get("assignee") is None:
        errors["assignee"] = _("Choose the person.")
    add = tags_parse(values.get("add_tags") or "")
    remove = tags_parse(values.get("remove_tags") or "")
    if set(add) & set(remove):
        errors["remove_tags"] = _("A tag cannot be both added and removed.")
    if errors:
        raise InvalidInput(_("The macro cannot be saved: check the marked fields."), errors=errors)
    team: Team | None = values.get("team")
    owner_id = None if team is not None else actor.pk  # personal unless given to a team
    team_id = team.pk if team is not None else None
    if not scope.may_manage(actor, owner_id=owner_id, team_id=team_id):
        raise PermissionDenied(_("You may only add macros for yourself or for your teams."))
    macro.title, macro.title_ru = title, " ".join(str(values.get("title_ru", "")).split())[:200]
    macro.owner_id, macro.team_id = owner_id, team_id
    for name in _COPIED:
        setattr(macro, name, values.get(name))
    macro.assignee_action = assignee_action
    macro.assignee = values.get("assignee") if assignee_action == MacroAssignee.PERSON else None
    macro.text_kind, macro.body, macro.body_ru = text_kind, body, str(values.get("body_ru", "")).strip()
    macro.save()
    macro.add_tags.set(tags_ensure(add))
    macro.remove_tags.set(tags_ensure(remove))
    return macro


@transaction.atomic
def macro_delete(*, actor: User, macro_id: int) -> None:
    macro = Macro.objects.select_for_update().filter(pk=macro_id).first()
    if macro is None:
        return
    if not scope.may_manage(actor, owner_id=macro.owner_id, team_id=macro.team_id):
        raise PermissionDenied(_("You may not change this macro."))
    macro.delete()
