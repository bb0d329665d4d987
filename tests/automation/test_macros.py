"""Macros: applied through the ticket services as the agent (history, access, all or nothing), placed like
canned replies; tags as a trigger condition and action."""

from __future__ import annotations

import pytest

from otklik.automation import macros
from otklik.automation.models import Macro, MacroAssignee, MacroText, Trigger, TriggerEvent
from otklik.automation.triggers import triggers_process
from otklik.core.errors import InvalidInput, NotFound, PermissionDenied
from otklik.testing import factories
from otklik.tickets.models import EventKind, Message, Ticket, TicketEvent
from otklik.tickets.tags import tags_ensure, ticket_change_tags

pytestmark = pytest.mark.django_db


def _macro(*, add: tuple[str, ...] | list[str] = (), **fields: object) -> Macro:
    macro = Macro.objects.create(**fields)
    macro.add_tags.set(tags_ensure(list(add)))
    return macro


def _kinds(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("kind", flat=True))


def test_need_more_info_replies_waits_and_tags_as_the_agent(people, now):
    people.alice.language = "ru"
    people.alice.save(update_fields=["language"])
    ticket = factories.ticket(requester=people.alice, now=now)
    macro = _macro(
        title="Need more info",
        set_status=factories.status("needs_clarification"),
        text_kind=MacroText.REPLY,
        body="Hello {requester.first_name}, which room?",
        body_ru="Здравствуйте, {requester.first_name}! В каком кабинете?",
        assignee_action=MacroAssignee.ME,
        add=["Уточнение"],
    )
    outcome = macros.macro_apply(actor=people.fiona, ticket_id=ticket.pk, macro_id=macro.pk, now=now)
    ticket.refresh_from_db()
    assert outcome.steps == ["tags", "reply", "status", "assignee"]
    assert ticket.status.code == "needs_clarification"
    assert ticket.assignee_id == people.fiona.pk
    assert list(ticket.tags.values_list("name", flat=True)) == ["уточнение"]
    reply = Message.objects.get(ticket=ticket, is_internal=False, author=people.fiona)
    assert reply.body_text == "Здравствуйте, Alice! В каком кабинете?"
    events = list(TicketEvent.objects.filter(ticket=ticket).exclude(kind=EventKind.CREATED).order_by("id"))
    assert {event.actor_id for event in events} == {people.fiona.pk}
    assert all(event.data["via"] == {"macro": macro.pk, "name": "Need more info"} for event in events)
    assert EventKind.TAGS_CHANGED in _kinds(ticket) and EventKind.ASSIGNED in _kinds(ticket)


def test_escalation_moves_the_ticket_last_and_an_auditor_changes_nothing(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    macro = _macro(
        title="Escalate",
        set_team=people.second_line,
        set_priority=factories.priority("high"),
        text_kind=MacroText.NOTE,
        body="Escalated by {agent.name}",
        assignee_action=MacroAssignee.UNASSIGN,
    )
    before = _kinds(ticket)
    with pytest.raises(PermissionDenied):
        macros.macro_apply(actor=people.rita, ticket_id=ticket.pk, macro_id=macro.pk, now=now)
    assert _kinds(ticket) == before
    macros.macro_apply(actor=people.fiona, ticket_id=ticket.pk, macro_id=macro.pk, now=now)
    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.priority.code) == (people.second_line.pk, "high")
    assert Message.objects.get(ticket=ticket, is_internal=True).body_text == f"Escalated by {people.fiona}"
    assert _kinds(ticket)[-1] == EventKind.TEAM_CHANGED


def test_a_refused_step_leaves_nothing_behind(people, now):
    """Sam (second line) cannot see a first-line ticket: NotFound, and no event at all."""
    ticket = factories.ticket(requester=people.alice, now=now)
    macro = _macro(title="Prio", set_priority=factories.priority("high"))
    with pytest.raises(NotFound):
        macros.macro_apply(actor=people.sam, ticket_id=ticket.pk, macro_id=macro.pk, now=now)
    # A forbidden status makes the last step fail after the first ones ran: all rolled back.
    inactive = factories.status("needs_clarification")
    inactive.is_active = False
    inactive.save()
    broken = _macro(title="Broken", set_priority=factories.priority("high"), set_status=inactive)
    with pytest.raises(InvalidInput):
        macros.macro_apply(actor=people.fiona, ticket_id=ticket.pk, macro_id=broken.pk, now=now)
    ticket.refresh_from_db()
    assert ticket.priority.code == "normal"
    assert _kinds(ticket) == [EventKind.CREATED]


def test_macros_are_offered_and_managed_by_the_canned_reply_rule(people, now):
    shared = _macro(title="Shared")
    mine = _macro(title="Fiona's", owner=people.fiona)
    team = _macro(title="Second line's", team=people.second_line)
    assert set(macros.macros_offered_to(people.fiona)) == {shared, mine}
    assert set(macros.macros_offered_to(people.sam)) == {shared, team}
    ticket = factories.ticket(requester=people.alice, now=now)
    with pytest.raises(NotFound):  # not offered to her: as if absent
        macros.macro_apply(actor=people.fiona, ticket_id=ticket.pk, macro_id=team.pk, now=now)
    assert set(macros.macros_managed_by(people.fiona)) == {mine}
    with pytest.raises(PermissionDenied):
        macros.macro_delete(actor=people.fiona, macro_id=shared.pk)
    with pytest.raises(PermissionDenied):
        macros.macro_save(actor=people.fiona, macro_id=team.pk, values={"title": "x"})
    saved = macros.macro_save(
        actor=people.sam,
        macro_id=None,
        values={
            "title": "Take it",
            "team": people.second_line,
            "assignee_action": "me",
            "add_tags": "VPN, Повтор, vpn",
        },
    )
    assert (saved.owner_id, saved.team_id) == (None, people.second_line.pk)
    assert sorted(tag.name for tag in saved.add_tags.all()) == ["vpn", "повтор"]
    with pytest.raises(InvalidInput) as refused:
        macros.macro_save(actor=people.sam, macro_id=None, values={"title": "t", "text_kind": "reply"})
    assert "body" in refused.value.errors


def test_bulk_counts_refusals_per_ticket(people, now):
    mine = factories.ticket(requester=people.alice, now=now)
    hidden = factories.ticket(requester=people.alice, now=now, team=people.second_line)
    macro = _macro(title="Tag", add=["bulk"])
    outcome = macros.macro_apply_bulk(actor=people.fiona, ticket_ids=[mine.pk, hidden.pk], macro_id=macro.pk, now=now)
    assert (outcome.done, outcome.refused) == (1, 1)


def test_tags_normalised_recorded_and_checked(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    ticket_change_tags(actor=people.fiona, ticket_id=ticket.pk, add=["  VPN ", "#Принтер", "vpn"], now=now)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["vpn", "принтер"]
    event = ticket.events.get(kind=EventKind.TAGS_CHANGED)
    assert event.data == {"added": ["vpn", "принтер"], "removed": []}
    ticket_change_tags(actor=people.fiona, ticket_id=ticket.pk, add=["vpn"], now=now)  # no change: no event
    assert ticket.events.filter(kind=EventKind.TAGS_CHANGED).count() == 1
    ticket_change_tags(actor=people.fiona, ticket_id=ticket.pk, replace=["принтер", "new"], now=now)
    last = ticket.events.filter(kind=EventKind.TAGS_CHANGED).last()
    assert last is not None and last.data == {"added": ["new"], "removed": ["vpn"]}
    for actor, error in ((people.alice, PermissionDenied), (people.rita, PermissionDenied), (people.sam, NotFound)):
        with pytest.raises(error):
            ticket_change_tags(actor=actor, ticket_id=ticket.pk, add=["x"], now=now)
    with pytest.raises(InvalidInput):
        ticket_change_tags(actor=people.fiona, ticket_id=ticket.pk, add=["x" * 51], now=now)


def test_trigger_condition_has_tag_and_action_add_tag(people, now):
    vip = Trigger.objects.create(name="VIP", event=TriggerEvent.UPDATED, set_priority=factories.priority("high"))
    vip.tags.set(tags_ensure(["vip"]))
    tagger = Trigger.objects.create(name="Tag new", event=TriggerEvent.CREATED)
    tagger.add_tags.set(tags_ensure(["new-intake"]))
    ticket = factories.ticket(requester=people.alice, now=now)
    triggers_process(now=now)
    assert list(ticket.tags.values_list("name", flat=True)) == ["new-intake"]
    ticket.refresh_from_db()
    assert ticket.priority.code == "normal"  # the trigger's own tag change fires nothing; no vip tag
    ticket_change_tags(actor=people.fiona, ticket_id=ticket.pk, add=["VIP"], now=now)
    triggers_process(now=now)
    ticket.refresh_from_db()
    assert ticket.priority.code == "high"
