"""The one place that decides who may see and do what with tickets.

Every page, API endpoint, search, export, report, download, notification and bot answer starts from
`tickets_visible_to` and `messages_visible_to`; services call `ensure_can` before they write.
Absent and forbidden raise the same NotFound, so ticket ids cannot be probed.

Two scopes make up what a person sees:
- the *requester scope*: tickets they asked (or were copied on), plus their organization's tickets when
  the organization shares them. Seen as a requester: no internal notes, internal-only fields or
  agent-only attachments, and only the requester's actions.
- the *staff scope* (agents, managers, auditors): the tickets of their teams, tickets assigned to them or
  watched by them, and, for members of a first-line team, tickets not yet routed to any team. Seen as
  staff: everything on the ticket. Admins' staff scope is every ticket.
An agent who asks for help themselves sees that ticket through the requester scope only, unless it also
falls in their staff scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Role, TeamKind, User
from otklik.core.errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from otklik.tickets.models import Attachment, Message, Ticket

Action = Literal[
    "view", "reply", "note", "change", "assign", "merge", "close", "reopen", "watch", "link", "rate"
]

# What a requester may do on a ticket they see through the requester scope.
REQUESTER_ACTIONS: frozenset[str] = frozenset({"view", "reply", "close", "reopen", "rate"})
# A colleague who sees a ticket only because the organization shares tickets may read and add to the
# conversation, but deciding its fate (closing, reopening, rating) stays with the requester and watchers.
SHARED_ORGANIZATION_ACTIONS: frozenset[str] = frozenset({"view", "reply"})


# Answers remembered for the length of one read-only request: a ticket page asks "does the viewer handle
# this ticket?" and "which teams is the viewer in?" from a dozen panels. Nothing is remembered outside
# `remembered_for_request` (services, jobs, bots and tests always ask the database afresh), and only
# safe requests and reads that write nothing (`remembered_for_read`: one report) use it, so a write never
# sees an answer from before it.
_request_memo: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("otklik_access_memo", default=None)


@contextmanager
def remembered_for_request() -> Iterator[None]:
    token = _request_memo.set({})
    try:
        yield
    finally:
        _request_memo.reset(token)


@contextmanager
def remembered_for_read() -> Iterator[None]:
    """Remember the answers for one read that writes nothing (a report asks for the viewer's teams from each
    of its queries); inside a safe request, its memo is shared."""
    if _request_memo.get() is not None:
        yield
        return
    with remembered_for_request():
        yield


def _remembered[Answer](key: tuple[Any, ...], compute: Callable[[], Answer]) -> Answer:
    memo = _request_memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[no-any-return]


def _tell(key: tuple[Any, ...], answer: Any) -> None:
    """Give the request's memory an answer a read has just found (nothing outside a remembering request)."""
    memo = _request_memo.get()
    if memo is not None:
        memo[key] = answer


# The memory's keys of the two per-ticket answers, written by the reads that find them and read by the checks.
def _visible_key(viewer: User, ticket_id: int) -> tuple[Any, ...]:
    return ("visible", viewer.pk, ticket_id)


def _handles_key(viewer: User, ticket_id: int) -> tuple[Any, ...]:
    return ("handles", viewer.pk, ticket_id)


def _team_kinds(viewer: User) -> list[tuple[int, str]]:
    return _remembered(("teams", viewer.pk), lambda: list(viewer.teams.values_list("pk", "kind")))


def member_team_ids(viewer: User) -> list[int]:
    """The teams the viewer is a member of, by name; in a read-only request the same read as the scope's."""
    return [pk for pk, _kind in _team_kinds(viewer)]


def _ticket_model() -> type[Ticket]:
    # Resolved at call time: accounts sits below tickets in the layering.
    return apps.get_model("tickets", "Ticket")


def _attachment_model() -> type[Attachment]:
    return apps.get_model("tickets", "Attachment")


def _watched_ids(user: User) -> QuerySet[Ticket, int]:
    through = _ticket_model().watchers.through
    return through.objects.filter(user_id=user.pk).values("ticket_id")  # type: ignore[return-value]


def _is_active_person(viewer: User | None) -> bool:
    return bool(viewer is not None and viewer.is_authenticated and viewer.is_active)


def _sees_everything(viewer: User) -> bool:
    return bool(viewer.is_superuser or viewer.role == Role.ADMIN)


def _is_staff(viewer: User) -> bool:
    return bool(viewer.is_superuser or viewer.is_staff_member)


def _shares_organization(viewer: User) -> bool:
    return bool(viewer.organization_id is not None and viewer.organization and viewer.organization.shares_tickets)


def _requester_conditions(viewer: User) -> list[Q]:
    """The requester scope's parts: tickets asked, tickets copied on (watched), the shared organization's."""
    conditions = [Q(requester_id=viewer.pk), Q(pk__in=_watched_ids(viewer))]
    if _shares_organization(viewer):
        conditions.append(Q(organization_id=viewer.organization_id))
    return conditions


def _any_of(conditions: list[Q]) -> Q:
    scope = conditions[0]
    for condition in conditions[1:]:
        scope |= condition
    return scope


@dataclass(frozen=True)
class StaffTeamScope:
    """A staff scope split for aggregates kept per team (report rollups): whole teams, the unrouted tickets
    (first line), and the personal rest: tickets assigned to the viewer, and tickets they watch."""

    team_ids: tuple[int, ...]
    unrouted: bool
    assigned: Q
    watched: Q | None  # None: watching gives nothing (agents who see only their assigned tickets)

    @property
    def personal(self) -> Q:
        return self.assigned | self.watched if self.watched is not None else self.assigned

    @property
    def is_personal(self) -> bool:
        """No whole team and no unrouted queue: only the viewer's own tickets."""
        return not self.team_ids and not self.unrouted

    def condition(self) -> Q:
        """The whole scope as a condition on tickets, or on rows that carry a ticket's fields (report rows)."""
        if self.is_personal:
            return self.personal
        scope = self.personal | Q(team_id__in=list(self.team_ids))
        return scope | Q(team__isnull=True) if self.unrouted else scope

    def holds(self, *, viewer_id: int, team_id: int | None, assignee_id: int | None, watched: bool) -> bool:
        """`condition()` decided for one ticket from its columns (a row already read): the same parts."""
        if assignee_id is not None and assignee_id == viewer_id:
            return True
        if watched and self.watched is not None:
            return True
        return team_id in self.team_ids or (self.unrouted and team_id is None)

    def teams_condition(self) -> Q:
        """The whole-team part as a ticket condition (matches nothing when there are no teams)."""
        condition = Q(team_id__in=self.team_ids) if self.team_ids else Q(pk__in=[])
        return condition | Q(team__isnull=True) if self.unrouted else condition


def staff_scope_by_team(viewer: User) -> StaffTeamScope | None:
    """The staff scope's parts; None means every ticket. Only meaningful for staff."""
    if _sees_everything(viewer):
        return None
    if viewer.role == Role.AGENT and viewer.only_assigned_to_me:
        return StaffTeamScope((), False, Q(assignee_id=viewer.pk), None)
    teams = _team_kinds(viewer)
    # Tickets not yet routed to any team wait in the first line's queue, and only there: a manager or
    # an agent of a department does not see every unrouted request of the company.
    return StaffTeamScope(
        tuple(pk for pk, _kind in teams), any(kind == TeamKind.FIRST_LINE for _pk, kind in teams),
        Q(assignee_id=viewer.pk), Q(pk__in=_watched_ids(viewer)),
    )


def _staff_scope(viewer: User) -> Q | None:
    """The staff scope as a condition; None means every ticket. Only meaningful for staff."""
    parts = staff_scope_by_team(viewer)
    return None if parts is None else parts.condition()


def tickets_visible_to(viewer: User | None) -> QuerySet[Ticket]:
    """Every ticket the viewer may see, through either scope. The root of every read.

    A scope made only of personal parts (requesters; agents who see only their assigned tickets) is
    written as the ids of a UNION of those parts: each part is one index lookup, where the OR of
    "requester = me", "assignee = me" and "watched by me" (a subquery) makes PostgreSQL read every ticket
    (a sequential scan of a million rows for a requester's five). A scope with whole teams or a shared
    organization stays one OR: it can cover a large share of the tickets (a third, for a big customer),
    and a list's sort and limit can then walk an index instead of hashing every id first."""
    tickets = _ticket_model().objects.all()
    if viewer is None or not _is_active_person(viewer):
        return tickets.none()
    if _sees_everything(viewer):
        return tickets
    conditions = _requester_conditions(viewer)
    staff = staff_scope_by_team(viewer) if _is_staff(viewer) else None
    if not _is_personal(viewer, staff):
        return tickets.filter(_any_of(conditions) if staff is None else _any_of(conditions) | staff.condition())
    if staff is not None:
        conditions.append(staff.assigned)  # watched tickets are already a requester-scope part
    ids = [tickets.filter(condition).values("pk") for condition in conditions]
    return tickets.filter(pk__in=ids[0].union(*ids[1:], all=True))


@dataclass(frozen=True)
class KeptCountScope:
    """The viewer's scope split for counts kept per (team, assignee, status) (the agent's queue counts).

    `kept`: the part decided by a ticket's team and assignee alone, as a condition on those two columns
    (`team_id`, `assignee_id`: it applies to tickets and to kept count rows alike); None when no part is,
    and `everything` when every ticket is. `rest`: every other ticket of the scope (asked, watched, the
    shared organization's: the requester parts) outside `kept`, as a ticket queryset read through
    indexes; for staff, their own requests and the tickets they watch outside their teams."""

    everything: bool
    kept: Q | None
    rest: QuerySet[Ticket]


def kept_count_scope(viewer: User | None) -> KeptCountScope:
    tickets = _ticket_model().objects.all()
    if viewer is None or not _is_active_person(viewer):
        return KeptCountScope(False, None, tickets.none())
    if _sees_everything(viewer):
        return KeptCountScope(True, None, tickets.none())
    parts = [tickets.filter(condition).values("pk") for condition in _requester_conditions(viewer)]
    rest = tickets.filter(pk__in=parts[0].union(*parts[1:], all=True))
    staff = staff_scope_by_team(viewer) if _is_staff(viewer) else None
    if staff is None:
        return KeptCountScope(False, None, rest)
    # The staff parts other than watching (which is a requester part as well), on the two kept columns.
    kept = Q(assignee_id=viewer.pk)
    if staff.team_ids:
        kept |= Q(team_id__in=list(staff.team_ids))
    if staff.unrouted:
        kept |= Q(team_id__isnull=True)
    return KeptCountScope(False, kept, rest.exclude(kept))


def _is_personal(viewer: User, staff: StaffTeamScope | None) -> bool:
    if _shares_organization(viewer):
        return False
    return staff is None or staff.is_personal


def scope_is_personal(viewer: User | None) -> bool:
    """Whether the viewer's scope is made of personal parts only (few tickets, read from indexes) rather
    than whole teams, a shared organization or every ticket: tells a caller composing SQL whether "ticket
    in the scope" is best a set of ids (narrow) or a check per candidate row (wide)."""
    if viewer is None or not _is_active_person(viewer):
        return True
    if _sees_everything(viewer):
        return False
    return _is_personal(viewer, staff_scope_by_team(viewer) if _is_staff(viewer) else None)


def tickets_handled_by(viewer: User | None) -> QuerySet[Ticket]:
    """The tickets the viewer sees as staff: with internal notes, internal fields and all attachments."""
    tickets = _ticket_model().objects.all()
    if viewer is None or not _is_active_person(viewer) or not _is_staff(viewer):
        return tickets.none()
    staff = _staff_scope(viewer)
    return tickets if staff is None else tickets.filter(staff)


def can_see_internal(viewer: User | None) -> bool:
    """Whether the viewer's role may ever see internal content (a role check, not a per-ticket one)."""
    return bool(viewer is not None and _is_active_person(viewer) and _is_staff(viewer))


def handles(viewer: User | None, ticket: Ticket) -> bool:
    """Staff who work this ticket: its team, its assignee, managers of its team, admins.

    The one answer to "does the viewer see this ticket's internal side?": internal notes, staff events
    (history), SLA clocks, internal-only fields, agent-only files, note text in notifications and emails,
    note snippets in search. Decided by the viewer's relation to *this* ticket, never by role alone: an
    agent who only asked for help, or an only-assigned agent who only watches, sees the public side.
    Members of a team (agents, managers, auditors) and staff watchers (not limited to their assigned
    tickets) work the ticket; the first line also works tickets not yet routed to any team.
    """
    if viewer is None or not can_see_internal(viewer):
        return False
    if _sees_everything(viewer):
        return True
    if ticket.assignee_id == viewer.pk:
        return True
    return _remembered(_handles_key(viewer, ticket.pk),
                       lambda: tickets_handled_by(viewer).filter(pk=ticket.pk).exists())


def remember_answers(viewer: User, ticket_id: int, *, handled: bool) -> None:
    """A read that found a visible ticket and decided `handles` for it (`row_answers`) tells the request's memory,
    so the page's panels that ask `is_visible` and `handles` again get the answers without compiling the scope."""
    _tell(_visible_key(viewer, ticket_id), True)
    _tell(_handles_key(viewer, ticket_id), handled)


def sees_everything(viewer: User | None) -> bool:
    """Whether the viewer's scope is every ticket (administrators): lets counts use estimates."""
    return bool(viewer is not None and _is_active_person(viewer) and _sees_everything(viewer))
def can_see_internal_on(viewer: User | None, ticket: Ticket) -> bool:
    """The name older callers use for `handles`."""
    return handles(viewer, ticket)


def is_visible(viewer: User | None, ticket_id: int) -> bool:
    if viewer is None:
        return False
    return _remembered(_visible_key(viewer, ticket_id),
                       lambda: tickets_visible_to(viewer).filter(pk=ticket_id).exists())


def _row_proves_visible(viewer: User, ticket: Ticket) -> bool:
    """Whether the ticket row alone proves `is_visible`: an active person who sees every ticket, or the
    ticket's own requester (the requester scope's first part). False proves nothing: ask the scope."""
    return _is_active_person(viewer) and (_sees_everything(viewer) or ticket.requester_id == viewer.pk)


def visible_pairs(pairs: Iterable[tuple[User, Ticket]]) -> set[tuple[int, int]]:
    """The (viewer id, ticket id) of the pairs `is_visible` says yes to, for a batch (notifications): the
    ticket's own requester (the requester scope's first part) and admins from the rows, others one query each."""
    answer: set[tuple[int, int]] = set()
    asked: dict[int, tuple[User, set[int]]] = {}
    for viewer, ticket in pairs:
        if _row_proves_visible(viewer, ticket):
            answer.add((viewer.pk, ticket.pk))
        elif _is_active_person(viewer):
            asked.setdefault(viewer.pk, (viewer, set()))[1].add(ticket.pk)
    for viewer, ids in asked.values():
        found = tickets_visible_to(viewer).filter(pk__in=ids).values_list("pk", flat=True)
        answer.update((viewer.pk, pk) for pk in found)
    return answer


def messages_visible_to(viewer: User | None, ticket: Ticket) -> QuerySet[Message]:
    """The ticket's messages the viewer may read; none at all when the ticket itself is not visible."""
    messages = ticket.messages.all()
    if viewer is None or not _is_active_person(viewer):
        return messages.none()
    if _sees_everything(viewer):
        return messages
    if can_see_internal_on(viewer, ticket):
        return messages
    if not is_visible(viewer, ticket.pk):
        return messages.none()
    return _public_side(messages)


def _public_side(messages: QuerySet[Message]) -> QuerySet[Message]:
    return messages.filter(is_internal=False)


def messages_public_side(viewer: User | None, ticket: Ticket) -> QuerySet[Message]:
    """The conversation as the ticket's requester sees it (no internal notes), of what the viewer may read.

    For output that leaves the desk whoever reads it (the Telegram bot, an issue sent to a tracker without
    notes): even staff who handle the ticket get the public side only. Never filter `is_internal` by hand."""
    return _public_side(messages_visible_to(viewer, ticket))


def attachments_visible_to(viewer: User | None, ticket: Ticket) -> QuerySet[Attachment]:
    """Files of the ticket the viewer may download: requesters get files of public replies only."""
    attachments = _attachment_model().objects.filter(ticket_id=ticket.pk)
    if viewer is None or not _is_active_person(viewer):
        return attachments.none()
    if can_see_internal_on(viewer, ticket):
        return attachments
    if not is_visible(viewer, ticket.pk):
        return attachments.none()
    # A file that belongs to no message was added by staff outside the conversation: agent-only.
    return attachments.filter(message__isnull=False, message__is_internal=False)


# ---- the same rules for many tickets at once (exports, bulk reads): a constant number of queries.
# tests/access/test_access_batches.py proves they answer exactly what the per-ticket functions answer.


def handled_ticket_ids(viewer: User | None, ticket_ids: Iterable[int]) -> set[int]:
    """Which of these tickets the viewer handles (`handles`), in one query."""
    ids = list(ticket_ids)
    if viewer is None or not can_see_internal(viewer) or not ids:
        return set()
    if _sees_everything(viewer):
        return set(ids)
    return set(tickets_handled_by(viewer).filter(pk__in=ids).values_list("pk", flat=True))


def messages_visible_in(viewer: User | None, ticket_ids: Iterable[int]) -> QuerySet[Message]:
    """`messages_visible_to` for many tickets: all messages of handled ones, public ones of the rest."""
    ids = list(ticket_ids)
    message_model = apps.get_model("tickets", "Message")
    if viewer is None or not _is_active_person(viewer) or not ids:
        return message_model.objects.none()
    visible = tickets_visible_to(viewer).filter(pk__in=ids).values("pk")
    handled = handled_ticket_ids(viewer, ids)
    return message_model.objects.filter(ticket_id__in=visible).filter(Q(ticket_id__in=handled) | Q(is_internal=False))


def attachments_visible_in(viewer: User | None, ticket_ids: Iterable[int]) -> QuerySet[Attachment]:
    """`attachments_visible_to` for many tickets."""
    ids = list(ticket_ids)
    attachments = _attachment_model().objects.all()
    if viewer is None or not _is_active_person(viewer) or not ids:
        return attachments.none()
    visible = tickets_visible_to(viewer).filter(pk__in=ids).values("pk")
    handled = handled_ticket_ids(viewer, ids)
    public = Q(message__isnull=False, message__is_internal=False)
    return attachments.filter(ticket_id__in=visible).filter(Q(ticket_id__in=handled) | public)


def visible_fields_in(viewer: User | None, tickets: Iterable[Ticket]) -> dict[int, dict[str, Any]]:
    """`visible_fields` for many tickets, keyed by ticket id."""
    rows = list(tickets)
    ids = [ticket.pk for ticket in rows]
    if viewer is None or not ids:
        return {ticket.pk: {} for ticket in rows}
    visible = set(tickets_visible_to(viewer).filter(pk__in=ids).values_list("pk", flat=True))
    handled = handled_ticket_ids(viewer, ids)
    type_ids = {ticket.request_type_id for ticket in rows if ticket.request_type_id is not None}
    hidden: dict[int, set[str]] = {}
    if type_ids:
        custom_field = apps.get_model("tickets", "CustomField")
        internal = custom_field.objects.filter(request_type_id__in=type_ids, internal_only=True)
        for type_id, code in internal.values_list("request_type_id", "code"):
            hidden.setdefault(type_id, set()).add(code)
    result: dict[int, dict[str, Any]] = {}
    for ticket in rows:
        values = dict(ticket.fields or {}) if ticket.pk in visible else {}
        if ticket.pk not in handled:
            secret = hidden.get(ticket.request_type_id or 0, set())
            values = {code: value for code, value in values.items() if code not in secret}
        result[ticket.pk] = values
    return result


def attachment_get_for(viewer: User | None, token: str) -> Attachment:
    """The attachment behind a download token, or NotFound for absent and forbidden alike."""
    attachment = _attachment_model().objects.select_related("ticket", "message").filter(token=token).first()
    if attachment is None or viewer is None:
        raise NotFound()
    if not attachments_visible_to(viewer, attachment.ticket).filter(pk=attachment.pk).exists():
        raise NotFound()
    return attachment


def internal_field_codes(ticket: Ticket) -> frozenset[str]:
    if ticket.request_type_id is None:
        return frozenset()
    custom_field = apps.get_model("tickets", "CustomField")
    internal = custom_field.objects.filter(request_type_id=ticket.request_type_id, internal_only=True)
    return frozenset(internal.values_list("code", flat=True))


def visible_fields(viewer: User | None, ticket: Ticket) -> dict[str, Any]:
    """The ticket's custom field values the viewer may read: internal-only fields are staff's alone.

    Every channel (page, API, email, bot, export) shows custom fields through this, never `ticket.fields`.
    """
    if viewer is None or not is_visible(viewer, ticket.pk):
        return {}
    values = dict(ticket.fields or {})
    if can_see_internal_on(viewer, ticket):
        return values
    hidden = internal_field_codes(ticket)
    return {code: value for code, value in values.items() if code not in hidden}


def ensure_may_set_fields(actor: User | None, request_type_id: int | None, codes: Iterable[str]) -> None:
    """Internal-only fields are staff's to read and to write: a requester (in any channel) may not fill them."""
    codes = list(codes)
    if actor is None or request_type_id is None or not codes or can_see_internal(actor):
        return  # (no codes: nothing to refuse, and no query to build on every create without custom fields)
    custom_field = apps.get_model("tickets", "CustomField")
    internal = custom_field.objects.filter(request_type_id=request_type_id, internal_only=True, code__in=codes)
    if internal.exists():
        raise PermissionDenied(str(_("Some of these fields are for support staff only.")))


def _requester_may(actor: User, action: str, ticket: Ticket) -> bool:
    if action not in REQUESTER_ACTIONS:
        return False
    if action in SHARED_ORGANIZATION_ACTIONS:
        return True
    if ticket.requester_id == actor.pk:
        return True
    return _ticket_model().watchers.through.objects.filter(ticket_id=ticket.pk, user_id=actor.pk).exists()


def ensure_can(actor: User | None, action: Action, ticket: Ticket) -> None:
    """Raise NotFound when the actor may not see the ticket, PermissionDenied when they may not act.

    `actor=None` is the system itself (jobs, automation): always allowed. Auditors see and change nothing.
    """
    if actor is None:
        return
    # The row the caller holds (usually just locked) proves the common cases, a requester's own ticket and
    # an admin's, without compiling the scope's SQL; any other viewer is asked as before.
    if not (_row_proves_visible(actor, ticket) or is_visible(actor, ticket.pk)):
        raise NotFound()
    if action == "view":
        return
    if handles(actor, ticket):
        if actor.is_superuser or actor.can_write:
            return
        raise PermissionDenied()
    # Seen through the requester scope only: the actor acts as a requester, whatever their role, and a
    # read-only auditor stays read-only even on their own request.
    if actor.role != Role.AUDITOR and _requester_may(actor, action, ticket):
        return
    raise PermissionDenied()


def ensure_staff_writer(actor: User | None) -> None:
    if actor is not None and not (actor.is_active and (actor.is_superuser or actor.can_write)):
        raise PermissionDenied()


def ensure_may_submit(actor: User | None) -> None:
    """Whether the actor may open requests at all: a read-only auditor changes nothing, not even by asking."""
    if actor is not None and (not actor.is_active or (actor.role == Role.AUDITOR and not actor.is_superuser)):
        raise PermissionDenied()


# The directory's rules live in `people` (kept apart for the module's size); callers ask here as before.
from otklik.accounts.access.people import (  # noqa: E402  (people imports this module's helpers)
    organizations_visible_to as organizations_visible_to,
)
from otklik.accounts.access.people import people_visible_to as people_visible_to  # noqa: E402
from otklik.accounts.access.people import person_email as person_email  # noqa: E402
from otklik.accounts.access.people import person_label as person_label  # noqa: E402

# The per-row decisions of the scopes (a row or keys already in hand) live in `rows`.
from otklik.accounts.access.rows import keys_answers as keys_answers  # noqa: E402
from otklik.accounts.access.rows import row_answers as row_answers  # noqa: E402
