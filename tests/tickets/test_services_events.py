"""Every public ticket service records its typed event, in the same transaction as the change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from otklik.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.inbound import InboundAttachment, InboundMessage
from otklik.tickets.models import EventKind, LinkKind, Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def kinds(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("kind", flat=True))


def test_reply_by_staff_sets_first_response_and_opens(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    later = now + timedelta(minutes=7)
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="On it", now=later)
    ticket.refresh_from_db()
    assert ticket.first_response_at == later
    assert ticket.status.kind == "open"
    assert kinds(ticket) == [EventKind.CREATED, EventKind.REPLIED, EventKind.STATUS_CHANGED]
    replied = ticket.events.get(kind=EventKind.REPLIED)
    assert replied.data["by"] == "staff" and replied.data["first_response"] is True
    changed = ticket.events.get(kind=EventKind.STATUS_CHANGED)
    assert changed.data == {"from": "new", "to": "open", "from_kind": "new", "to_kind": "open"}


def test_requester_reply_wakes_ticket_waiting_for_clarification(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk,
                                  status=factories.status("needs_clarification"), now=now)
    services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="Room 305", now=now)
    ticket.refresh_from_db()
    assert ticket.status.code == "open"
    assert ticket.first_response_at is None  # a requester's words are not a response
    assert kinds(ticket)[-2:] == [EventKind.REPLIED, EventKind.STATUS_CHANGED]


def test_note_is_internal_and_recorded(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    note = services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="call back", now=now)
    assert note.is_internal
    assert kinds(ticket)[-1] == EventKind.NOTE_ADDED


def test_requester_cannot_add_note_and_outsider_gets_not_found(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    with pytest.raises(PermissionDenied):
        services.ticket_add_note(actor=people.alice, ticket_id=ticket.pk, body_text="x", now=now)
    with pytest.raises(NotFound):
        services.ticket_reply(actor=people.carol, ticket_id=ticket.pk, body_text="x", now=now)
    with pytest.raises(PermissionDenied):
        services.ticket_reply(actor=people.rita, ticket_id=ticket.pk, body_text="x", now=now)
    assert kinds(ticket) == [EventKind.CREATED]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (lambda p, t, n: changes.ticket_assign(actor=p.fiona, ticket_id=t.pk, assignee=p.fiona, now=n),
         EventKind.ASSIGNED),
        (lambda p, t, n: changes.ticket_change_team(actor=p.fiona, ticket_id=t.pk, team=p.second_line, now=n),
         EventKind.TEAM_CHANGED),
        (lambda p, t, n: changes.ticket_change_category(
            actor=p.fiona, ticket_id=t.pk, category=factories.category("VPN"), now=n), EventKind.CATEGORY_CHANGED),
        (lambda p, t, n: changes.ticket_change_priority(
            actor=p.fiona, ticket_id=t.pk, priority=factories.priority("critical"), now=n),
         EventKind.PRIORITY_CHANGED),
        (lambda p, t, n: changes.ticket_change_subject(actor=p.fiona, ticket_id=t.pk, subject="VPN", now=n),
         EventKind.SUBJECT_CHANGED),
        (lambda p, t, n: changes.ticket_change_request_type(
            actor=p.fiona, ticket_id=t.pk, request_type=factories.request_type("vpn"), now=n),
         EventKind.REQUEST_TYPE_CHANGED),
        (lambda p, t, n: services.ticket_watch(actor=p.fiona, ticket_id=t.pk, user_id=p.sam.pk, now=n),
         EventKind.WATCHER_ADDED),
        (lambda p, t, n: changes.ticket_resolve(actor=p.fiona, ticket_id=t.pk, now=n), EventKind.RESOLVED),
        (lambda p, t, n: changes.ticket_close(actor=p.alice, ticket_id=t.pk, now=n), EventKind.CLOSED),
        (lambda p, t, n: services.ticket_reply(actor=p.alice, ticket_id=t.pk, body_text="more", now=n),
         EventKind.REPLIED),
        (lambda p, t, n: changes.ticket_change_status(
            actor=p.fiona, ticket_id=t.pk, status=factories.status("paused"), now=n), EventKind.STATUS_CHANGED),
    ],
)
def test_each_change_records_its_event(people, now, action, expected):
    ticket = factories.ticket(requester=people.alice, now=now)
    before = TicketEvent.objects.count()
    action(people, ticket, now)
    new_kinds = list(TicketEvent.objects.order_by("id").values_list("kind", flat=True)[before:])
    assert expected in new_kinds


def test_field_changes_validate_and_record_from_to(people, now):
    request_type = factories.request_type("access")
    request_type.fields.create(code="system", label="System", kind="choice", choices=["VPN", "CRM"], required=True)
    request_type.fields.create(code="count", label="Count", kind="number")
    with pytest.raises(InvalidInput) as missing:
        factories.ticket(requester=people.alice, request_type=request_type, now=now)
    assert "system" in missing.value.errors
    assert Ticket.objects.count() == 0  # nothing half-written
    ticket = factories.ticket(requester=people.alice, request_type=request_type, fields={"system": "VPN"}, now=now)
    changes.ticket_set_fields(actor=people.fiona, ticket_id=ticket.pk, values={"count": "3"}, now=now)
    event = ticket.events.get(kind=EventKind.FIELDS_CHANGED)
    assert event.data == {"changes": {"count": {"from": None, "to": "3"}}}
    with pytest.raises(InvalidInput):
        changes.ticket_set_fields(actor=people.fiona, ticket_id=ticket.pk, values={"system": "Fax"}, now=now)


def test_unwatch_and_link_record_events_on_both_sides(people, now):
    first = factories.ticket(requester=people.alice, now=now)
    second = factories.ticket(requester=people.alice, now=now)
    services.ticket_watch(actor=people.fiona, ticket_id=first.pk, user_id=people.sam.pk, now=now)
    services.ticket_unwatch(actor=people.fiona, ticket_id=first.pk, user_id=people.sam.pk, now=now)
    changes.ticket_link(actor=people.fiona, ticket_id=first.pk, other_id=second.pk, kind=LinkKind.PARENT, now=now)
    assert kinds(first)[-3:] == [EventKind.WATCHER_ADDED, EventKind.WATCHER_REMOVED, EventKind.LINKED]
    assert kinds(second)[-1] == EventKind.LINKED
    with pytest.raises(InvalidInput):
        changes.ticket_link(actor=people.fiona, ticket_id=first.pk, other_id=first.pk, kind="related", now=now)


def test_merge_moves_conversation_and_closes_source(people, now):
    source = factories.ticket(requester=people.bob, now=now, body="from bob")
    target = factories.ticket(requester=people.alice, now=now, body="from alice")
    changes.ticket_merge(actor=people.fiona, source_id=source.pk, target_id=target.pk, now=now)
    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    assert source.status.kind == "closed"
    assert sorted(Message.objects.filter(ticket=target).values_list("body_text", flat=True)) == [
        "from alice", "from bob"]
    assert people.bob in target.watchers.all()
    assert kinds(source)[-1] == EventKind.MERGED and kinds(target)[-1] == EventKind.MERGED_IN
    with pytest.raises(Conflict):
        changes.ticket_merge(actor=people.fiona, source_id=source.pk, target_id=target.pk, now=now)


def test_reopen_clears_resolution_and_rating_once_per_resolution(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=now)
    changes.ticket_rate(actor=people.alice, ticket_id=ticket.pk, score=2, comment="slow", now=now)
    with pytest.raises(Conflict):
        changes.ticket_rate(actor=people.alice, ticket_id=ticket.pk, score=5, now=now)
    changes.ticket_reopen(actor=people.alice, ticket_id=ticket.pk, now=now)
    ticket.refresh_from_db()
    assert ticket.resolved_at is None and ticket.status.kind == "open"
    changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=now + timedelta(hours=1))
    changes.ticket_rate(actor=people.alice, ticket_id=ticket.pk, score=5, now=now + timedelta(hours=2))
    assert kinds(ticket).count(EventKind.RATED) == 2
    assert kinds(ticket).count(EventKind.REOPENED) == 1


def test_closed_ticket_refuses_requester_reply(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_close(actor=people.alice, ticket_id=ticket.pk, now=now)
    with pytest.raises(Conflict):
        services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="again", now=now)


def test_on_behalf_creation_by_phone(people, now):
    ticket = services.ticket_create_on_behalf(
        actor=people.fiona, requester=people.carol, subject="Called: printer", body_text="typed in", now=now)
    assert ticket.source == "phone" and ticket.requester == people.carol
    created = ticket.events.get(kind=EventKind.CREATED)
    assert created.actor == people.fiona and created.data["on_behalf"] is True
    with pytest.raises(PermissionDenied):
        services.ticket_create_on_behalf(
            actor=people.alice, requester=people.bob, subject="x", body_text="y", now=now)


def test_ingest_threads_dedupes_and_adds_watchers(people, now):
    first = services.ticket_ingest(inbound=InboundMessage(
        sender_email="Alice@A.example", channel="email", subject="VPN down", body_text="help",
        external_id="<m1@a.example>", watcher_emails=("bob@a.example", "new.person@a.example")), now=now)
    assert first.outcome == "new_ticket"
    assert {u.email for u in first.ticket.watchers.all()} == {"bob@a.example", "new.person@a.example"}
    again = services.ticket_ingest(inbound=InboundMessage(
        sender_email="alice@a.example", channel="email", subject="VPN down", body_text="help",
        external_id="<m1@a.example>"), now=now)
    assert again.outcome == "duplicate" and again.ticket.pk == first.ticket.pk
    reply = services.ticket_ingest(inbound=InboundMessage(
        sender_email="alice@a.example", channel="email", subject="Re: VPN down", body_text="still",
        external_id="<m2@a.example>", references=("<m1@a.example>",)), now=now)
    assert reply.outcome == "reply" and reply.ticket.pk == first.ticket.pk
    stranger = services.ticket_ingest(inbound=InboundMessage(
        sender_email="carol@b.example", channel="email", subject="Re: VPN down", body_text="me too",
        external_id="<m3@b.example>", references=("<m1@a.example>",)), now=now)
    assert stranger.outcome == "new_ticket" and stranger.ticket.pk != first.ticket.pk
    assert Message.objects.filter(ticket=first.ticket).count() == 2


def test_reply_to_closed_ticket_opens_linked_follow_up(people, now):
    first = services.ticket_ingest(inbound=InboundMessage(
        sender_email="alice@a.example", channel="email", subject="Printer", body_text="broken",
        external_id="<p1@a.example>"), now=now)
    changes.ticket_close(actor=people.fiona, ticket_id=first.ticket.pk, now=now)
    follow = services.ticket_ingest(inbound=InboundMessage(
        sender_email="alice@a.example", channel="email", subject="Re: Printer", body_text="broken again",
        external_id="<p2@a.example>", references=("<p1@a.example>",)), now=now)
    assert follow.outcome == "new_ticket"
    assert follow.ticket.links_out.get().to_ticket_id == first.ticket.pk


def test_oversized_requester_upload_is_refused_before_anything_is_written(people, now, settings):
    settings.OTKLIK_MAX_REQUESTER_UPLOAD_BYTES = 10
    ticket = factories.ticket(requester=people.alice, now=now)
    with pytest.raises(InvalidInput):
        services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="see file", now=now,
                              attachments=[InboundAttachment("../../etc/passwd", b"x" * 11)])
    assert ticket.messages.count() == 1 and kinds(ticket) == [EventKind.CREATED]
    message = services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="file", now=now,
                                    attachments=[InboundAttachment("../../etc/passwd", b"x" * 11)])
    assert message.attachments.get().filename == "passwd"


def test_ticket_numbers_start_where_configured(people, now, settings):
    settings.OTKLIK_TICKET_NUMBER_START = 1000
    assert factories.ticket(requester=people.alice, now=now).number == 1000
    assert factories.ticket(requester=people.alice, now=now).number == 1001


def test_submit_rule_restricts_request_types(people, now):
    tender = factories.request_type("tender", submit_rule="department_heads")
    with pytest.raises(PermissionDenied):
        factories.ticket(requester=people.alice, request_type=tender, now=now)
    people.bob.is_department_head = True
    people.bob.save()
    assert factories.ticket(requester=people.bob, request_type=tender, now=now).request_type == tender


def test_html_bodies_are_sanitised(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    message = services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="x",
                                    body_html='<p onclick="x()">hi<script>alert(1)</script></p>', now=now)
    assert "script" not in message.body_html and "onclick" not in message.body_html and "hi" in message.body_html


# Services whose event recording is asserted above; a new public service must join this list with a test.
SERVICES_WITH_EVENT_TESTS = {
    "ticket_create", "ticket_create_on_behalf", "ticket_ingest", "ticket_reply", "ticket_add_note",
    "ticket_change_status", "ticket_resolve", "ticket_close", "ticket_reopen", "ticket_assign",
    "ticket_change_team", "ticket_change_category", "ticket_change_priority", "ticket_change_subject",
    "ticket_change_request_type", "ticket_set_fields", "ticket_watch", "ticket_unwatch", "ticket_link",
    "ticket_merge", "ticket_rate",
}
# Helpers, not changes: the lock, the number, and the `updated_at` stamp the changes make with their event.
NOT_CHANGES = {"ticket_lock", "ticket_number_allocate", "ticket_touch"}


def test_every_public_ticket_service_is_covered_by_an_event_test():
    public = {name for module in (services, changes) for name in vars(module)
              if name.startswith("ticket_") and callable(getattr(module, name))}
    assert public - NOT_CHANGES == SERVICES_WITH_EVENT_TESTS


def test_requesters_choose_criticality_only_where_the_request_type_allows(people, now):
    plain = factories.ticket(requester=people.alice, priority=factories.priority("critical"), now=now)
    assert plain.priority.code == "normal"
    vpn = factories.request_type("vpn", requester_sets_priority=True)
    chosen = factories.ticket(requester=people.alice, request_type=vpn, priority=factories.priority("critical"),
                              now=now)
    assert chosen.priority.code == "critical"
    by_agent = services.ticket_create_on_behalf(actor=people.fiona, requester=people.alice, subject="Down",
                                                body_text="all", priority=factories.priority("critical"), now=now)
    assert by_agent.priority.code == "critical"
