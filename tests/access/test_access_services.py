"""Channel: the services layer. Every public ticket service × every persona × every ticket.

Each case runs in its own savepoint, is classified as allowed / denied / hidden, and is compared with
the rules in world.py. A refused call must leave no trace (no event, no message).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from django.db import transaction

from otklik.accounts.models import User
from otklik.automation.macros import macro_apply
from otklik.automation.models import Macro
from otklik.core.errors import NotFound, PermissionDenied
from otklik.tickets import changes, services
from otklik.tickets.models import Category, Message, Priority, Status, StatusKind, Ticket, TicketEvent
from otklik.tickets.tags import ticket_change_tags
from tests.access.world import PERSONAS, TICKETS, Outcome, World, expected


class _Rollback(Exception):
    pass


@dataclass(frozen=True)
class Case:
    """How to do one action: `prepare` runs as the system first, `act` runs as the persona."""

    act: Callable[[World, User, Ticket, datetime], Any]
    prepare: Callable[[World, Ticket, datetime], Any] | None = None


def _resolve(world: World, ticket: Ticket, now: datetime) -> None:
    changes.ticket_resolve(actor=None, ticket_id=ticket.pk, now=now)


def _companion(world: World, ticket: Ticket, now: datetime) -> Ticket:
    """A second ticket with the same requester, team and watchers, so exactly the same people see it."""
    companion = services.ticket_create(
        actor=None, requester=ticket.requester, subject="Companion", body_text="companion", team=ticket.team,
        now=now,
    )
    for watcher_id in ticket.watchers.values_list("pk", flat=True):
        services.ticket_watch(actor=None, ticket_id=companion.pk, user_id=watcher_id, now=now)
    return companion


def _other_status(ticket: Ticket) -> Status:
    return Status.objects.filter(kind=StatusKind.OPEN, is_active=True).exclude(pk=ticket.status_id).first() or (
        Status.objects.filter(kind=StatusKind.WAITING_CUSTOMER).first()  # type: ignore[return-value]
    )


def _other_priority(ticket: Ticket) -> Priority:
    priority = Priority.objects.exclude(pk=ticket.priority_id).first()
    assert priority is not None
    return priority


def _macro(world: World) -> Macro:
    macro = getattr(world, "macro", None)
    assert isinstance(macro, Macro)
    return macro


def _extra(world: World) -> Ticket:
    extra = getattr(world, "extra", None)
    assert isinstance(extra, Ticket)
    return extra


def _add_watcher(world: World, ticket: Ticket, now: datetime) -> None:
    services.ticket_watch(actor=None, ticket_id=ticket.pk, user_id=world.people.adam.pk, now=now)


CASES: dict[str, Case] = {
    "reply": Case(lambda w, u, t, now: services.ticket_reply(actor=u, ticket_id=t.pk, body_text="hi", now=now)),
    "note": Case(lambda w, u, t, now: services.ticket_add_note(actor=u, ticket_id=t.pk, body_text="n", now=now)),
    "change_status": Case(lambda w, u, t, now: changes.ticket_change_status(
        actor=u, ticket_id=t.pk, status=_other_status(t), now=now)),
    "resolve": Case(lambda w, u, t, now: changes.ticket_resolve(actor=u, ticket_id=t.pk, now=now)),
    "close": Case(lambda w, u, t, now: changes.ticket_close(actor=u, ticket_id=t.pk, now=now)),
    "reopen": Case(lambda w, u, t, now: changes.ticket_reopen(actor=u, ticket_id=t.pk, now=now), _resolve),
    "assign": Case(lambda w, u, t, now: changes.ticket_assign(
        actor=u, ticket_id=t.pk, assignee=w.people.mia, now=now)),
    "change_team": Case(lambda w, u, t, now: changes.ticket_change_team(
        actor=u, ticket_id=t.pk,
        team=w.people.second_line if t.team_id != w.people.second_line.pk else w.people.first_line, now=now)),
    "change_category": Case(lambda w, u, t, now: changes.ticket_change_category(
        actor=u, ticket_id=t.pk, category=Category.objects.get_or_create(name="Printers")[0], now=now)),
    "change_priority": Case(lambda w, u, t, now: changes.ticket_change_priority(
        actor=u, ticket_id=t.pk, priority=_other_priority(t), now=now)),
    "change_subject": Case(lambda w, u, t, now: changes.ticket_change_subject(
        actor=u, ticket_id=t.pk, subject="Renamed", now=now)),
    "change_request_type": Case(lambda w, u, t, now: changes.ticket_change_request_type(
        actor=u, ticket_id=t.pk, request_type=None, now=now)),
    "set_fields": Case(lambda w, u, t, now: changes.ticket_set_fields(
        actor=u, ticket_id=t.pk, values={"asset": "changed"}, now=now)),
    "watch": Case(lambda w, u, t, now: services.ticket_watch(
        actor=u, ticket_id=t.pk, user_id=w.people.adam.pk, now=now)),
    "unwatch_other": Case(lambda w, u, t, now: services.ticket_unwatch(
        actor=u, ticket_id=t.pk, user_id=w.people.adam.pk, now=now), _add_watcher),
    "link": Case(lambda w, u, t, now: changes.ticket_link(
        actor=u, ticket_id=t.pk, other_id=_extra(w).pk, kind="related", now=now),
        lambda w, t, now: setattr(w, "extra", _companion(w, t, now))),
    "merge": Case(lambda w, u, t, now: changes.ticket_merge(
        actor=u, source_id=_extra(w).pk, target_id=t.pk, now=now),
        lambda w, t, now: setattr(w, "extra", _companion(w, t, now))),
    "rate": Case(lambda w, u, t, now: changes.ticket_rate(actor=u, ticket_id=t.pk, score=5, now=now), _resolve),
    # Kept apart from services.py by topic, checked the same way.
    "tags": Case(lambda w, u, t, now: ticket_change_tags(actor=u, ticket_id=t.pk, add=["x"], now=now)),
    "macro": Case(lambda w, u, t, now: macro_apply(actor=u, ticket_id=t.pk, macro_id=_macro(w).pk, now=now),
                  lambda w, t, now: setattr(w, "macro", Macro.objects.create(
                      title="Tag", set_priority=Priority.objects.exclude(pk=t.priority_id).first()))),
}

# The rules name a few actions by their service; the rest are staff changes ("change").
RULE_NAME = {"close": "close", "reopen": "reopen", "rate": "rate", "reply": "reply"}


def _traces(ticket: Ticket) -> tuple[int, int]:
    return (TicketEvent.objects.filter(ticket=ticket).count(), Message.objects.filter(ticket=ticket).count())


def _run(world: World, case: Case, persona: str, key: str, now: datetime) -> tuple[Outcome, str]:
    """Do one case inside a savepoint that is always rolled back, so cases cannot disturb each other."""
    outcome = Outcome.ALLOWED
    detail = ""
    try:
        with transaction.atomic():
            ticket = world.ticket(key)
            if case.prepare is not None:
                case.prepare(world, ticket, now)
                ticket = world.ticket(key)
            before = _traces(ticket)
            try:
                case.act(world, world.user(persona), ticket, now)
            except NotFound:
                outcome = Outcome.HIDDEN
            except PermissionDenied:
                outcome = Outcome.DENIED
            if outcome is not Outcome.ALLOWED and _traces(ticket) != before:
                detail = "a refused call left events or messages behind"
            raise _Rollback
    except _Rollback:
        pass
    return outcome, detail


@pytest.mark.parametrize("action", sorted(CASES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_service_matrix(bare_world: World, now: datetime, action: str, persona: str) -> None:
    mismatches = []
    for key in TICKETS:
        want = expected(RULE_NAME.get(action, "change"), persona, key)
        got, detail = _run(bare_world, CASES[action], persona, key, now)
        if got is not want or detail:
            mismatches.append(f"{persona} {action} {key}: expected {want}, got {got} {detail}".strip())
    assert not mismatches, "\n".join(mismatches)


def test_every_public_ticket_service_is_in_the_matrix() -> None:
    """A new service must be added to CASES (or to the per-persona tests below) to be covered."""
    covered = {
        "ticket_reply", "ticket_add_note", "ticket_change_status", "ticket_resolve", "ticket_close",
        "ticket_reopen", "ticket_assign", "ticket_change_team", "ticket_change_category",
        "ticket_change_priority", "ticket_change_subject", "ticket_change_request_type", "ticket_set_fields",
        "ticket_watch", "ticket_unwatch", "ticket_link", "ticket_merge", "ticket_rate",
        # Tested below, per persona rather than per ticket:
        "ticket_create", "ticket_create_on_behalf", "ticket_ingest",
    }
    helpers = {
        "ticket_lock", "event_record", "event_record_bulk", "status_default", "priority_default",
        "ticket_number_allocate",
        "attachments_check", "attachments_store", "request_type_ensure_may_submit",
        # A number from settings and the uploader's role: no ticket involved.
        "upload_limit",
        # Neither touches a ticket: a context that tags events with who acted (a tracker), a time check.
        "events_via", "happened_at_check",
        # Called by the services after their own `ensure_can`, on the ticket they locked.
        "ticket_touch", "status_set",
        # The locked read `ticket_lock` uses, for an adapter whose locked row ingest then checks (`ensure_can`).
        "tickets_locked",
    }
    public = {
        name for module in (services, changes) for name, value in vars(module).items()
        if callable(value) and not name.startswith("_") and getattr(value, "__module__", "") == module.__name__
        and name.islower()
    }
    missing = public - covered - helpers
    assert not missing, f"services without an access matrix entry: {sorted(missing)}"


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("alice", False), ("carol", False), ("rita", False), ("fiona", True), ("sam", True), ("mia", True),
     ("adam", True)],
)
def test_create_on_behalf_is_for_staff_who_write(bare_world: World, now: datetime, persona: str,
                                                  allowed: bool) -> None:
    actor = bare_world.user(persona)
    before = Ticket.objects.count()
    if allowed:
        services.ticket_create_on_behalf(actor=actor, requester=bare_world.people.bob, subject="Phone call",
                                         body_text="called", now=now)
        assert Ticket.objects.count() == before + 1
    else:
        with pytest.raises(PermissionDenied):
            services.ticket_create_on_behalf(actor=actor, requester=bare_world.people.bob, subject="Phone call",
                                             body_text="called", now=now)
        assert Ticket.objects.count() == before


@pytest.mark.parametrize("persona", ["alice", "carol"])
def test_a_requester_cannot_open_a_ticket_in_someone_elses_name(bare_world: World, now: datetime,
                                                               persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.ticket_create(actor=bare_world.user(persona), requester=bare_world.people.bob,
                               subject="In Bob's name", now=now)


def test_a_read_only_auditor_cannot_open_tickets_either(bare_world: World, now: datetime) -> None:
    rita = bare_world.user("rita")
    with pytest.raises(PermissionDenied):
        services.ticket_create(actor=rita, requester=rita, subject="Auditor asks", now=now)


def test_only_assigned_agent_sees_and_changes_only_assigned_tickets(bare_world: World, now: datetime) -> None:
    fiona = bare_world.user("fiona")
    fiona.only_assigned_to_me = True
    fiona.save()
    changes.ticket_assign(actor=None, ticket_id=bare_world.tickets["carol_unrouted"].pk, assignee=fiona, now=now)
    with pytest.raises(NotFound):
        changes.ticket_change_subject(actor=fiona, ticket_id=bare_world.tickets["alice_first"].pk,
                                       subject="x", now=now)
    changes.ticket_change_subject(actor=fiona, ticket_id=bare_world.tickets["carol_unrouted"].pk,
                                   subject="Mine now", now=now)
    assert Ticket.objects.get(pk=bare_world.tickets["carol_unrouted"].pk).subject == "Mine now"


def test_first_line_hands_a_ticket_to_second_line_and_lets_go(bare_world: World, now: datetime) -> None:
    fiona, sam = bare_world.user("fiona"), bare_world.user("sam")
    ticket = bare_world.tickets["alice_first"]
    changes.ticket_change_team(actor=fiona, ticket_id=ticket.pk, team=bare_world.people.second_line, now=now)
    services.ticket_reply(actor=sam, ticket_id=ticket.pk, body_text="second line here", now=now)
    with pytest.raises(NotFound):
        services.ticket_add_note(actor=fiona, ticket_id=ticket.pk, body_text="still mine?", now=now)


def test_inactive_staff_lose_every_ticket(bare_world: World, now: datetime) -> None:
    adam = bare_world.user("adam")
    adam.is_active = False
    adam.save()
    with pytest.raises(NotFound):
        services.ticket_add_note(actor=adam, ticket_id=bare_world.tickets["alice_first"].pk, body_text="x", now=now)


def test_a_department_manager_does_not_see_the_unrouted_queue(bare_world: World, now: datetime) -> None:
    from otklik.accounts.access import tickets_visible_to
    from otklik.accounts.models import Role, Team, TeamKind

    tenders = Team.objects.create(name="Tenders", kind=TeamKind.DEPARTMENT)
    head = User.objects.create_user(email="head@otklik.test", role=Role.MANAGER, password="x-password-1")
    tenders.members.add(head)
    assert not tickets_visible_to(head).filter(pk=bare_world.tickets["carol_unrouted"].pk).exists()
