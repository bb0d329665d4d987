"""The scopes decided for tickets already in hand, from their columns: part of the access module
(`otklik.accounts.access` re-exports these rules). The SQL of `tickets_visible_to` and `tickets_handled_by` is
the rule's definition; tests/access/test_access_row_answers.py holds these answers equal to it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from otklik.accounts.access import (
    StaffTeamScope,
    _is_active_person,
    _is_staff,
    _sees_everything,
    _shares_organization,
    _ticket_model,
    staff_scope_by_team,
)
from otklik.accounts.models import User
from otklik.core.sql import key_in

if TYPE_CHECKING:
    from otklik.tickets.models import Ticket


def row_answers(viewer: User | None, ticket: Ticket, *, watched: bool) -> tuple[bool, bool]:
    """Whether the viewer may see a ticket row already read, and whether they handle it: the conditions of
    `tickets_visible_to` and `tickets_handled_by` decided from the row's columns, for a page that reads one
    ticket by its number (compiling the scope's SQL cost most of that read). `watched`: whether the viewer
    watches the ticket, read in the same statement. tests/access/test_access_row_answers.py holds both
    answers equal to the SQL's for every persona, ticket and relation of the matrix."""
    if viewer is None or not _is_active_person(viewer):
        return False, False
    if _sees_everything(viewer):
        return True, True
    return _columns_answers(_viewer_facts(viewer), _TicketColumns(
        ticket.pk, ticket.team_id, ticket.assignee_id, ticket.requester_id, ticket.organization_id), watched)


class _TicketColumns(NamedTuple):
    """The columns of a ticket the scopes are decided by."""

    pk: int
    team_id: int | None
    assignee_id: int | None
    requester_id: int | None
    organization_id: int | None


class _ViewerFacts(NamedTuple):
    """What the scopes ask of an active viewer who does not see everything, read once (a request's viewer is a
    lazy object: every attribute read goes through it, and a search decides hundreds of rows)."""

    viewer_id: int
    shared_organization_id: int | None  # the organization whose tickets the viewer sees, if it shares them
    staff: StaffTeamScope | None  # their staff scope, if staff


def _viewer_facts(viewer: User) -> _ViewerFacts:
    return _ViewerFacts(viewer.pk, viewer.organization_id if _shares_organization(viewer) else None,
                        staff_scope_by_team(viewer) if _is_staff(viewer) else None)


def _columns_answers(facts: _ViewerFacts, row: _TicketColumns, watched: bool) -> tuple[bool, bool]:
    """`row_answers` decided from the viewer's facts and the ticket's columns."""
    handled = facts.staff is not None and facts.staff.holds(viewer_id=facts.viewer_id, team_id=row.team_id,
                                                            assignee_id=row.assignee_id, watched=watched)
    visible = handled or row.requester_id == facts.viewer_id or watched or (
        facts.shared_organization_id is not None and row.organization_id == facts.shared_organization_id)
    return visible, handled


def keys_answers(viewer: User | None, ticket_ids: Iterable[int]) -> dict[int, tuple[bool, bool]]:
    """`row_answers` for tickets known by key (a search's hits), by ticket id; a ticket that does not exist is
    left out. One read of the tickets' columns and, only for the tickets whose answer watching would change,
    one of whether the viewer watches them: compiling the two scopes' SQL cost most of a search's visibility
    check. tests/access/test_access_row_answers.py holds the answers equal to the SQL's."""
    ids = list(ticket_ids)
    if not ids or viewer is None or not _is_active_person(viewer):
        return {}
    tickets = _ticket_model().objects.filter(key_in(_ticket_model(), ids))
    if _sees_everything(viewer):
        return dict.fromkeys(tickets.values_list("pk", flat=True), (True, True))
    facts = _viewer_facts(viewer)
    rows = [_TicketColumns(*values) for values in tickets.values_list(*_TicketColumns._fields)]
    answers = {row.pk: _columns_answers(facts, row, False) for row in rows}
    undecided = [row for row in rows if _columns_answers(facts, row, True) != answers[row.pk]]
    if undecided:
        through = _ticket_model().watchers.through
        watched = set(through.objects.filter(key_in(through, [row.pk for row in undecided], field="ticket"),
                                             user_id=facts.viewer_id).values_list("ticket_id", flat=True))
        answers.update((row.pk, _columns_answers(facts, row, True)) for row in undecided if row.pk in watched)
    return answers
