"""The agent's queues: named filters with live counts.

A queue is written on the columns the kept ticket counts carry (status kind, assignee, the viewer's
teams), so its count inside the viewer's scope is a sum of kept counts (`tickets.counts`, kept by the
database with every ticket change) rather than a COUNT over the tickets on every list view and refresh.
Queues that need more (SLA clocks, watching) name the tickets they hold as a small set of ids, counted
by one query inside the viewer's scope. Other parts add their own queues with `register_queue`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from django.db import connection
from django.db.models import BooleanField, Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from otklik.accounts.access import kept_count_scope, member_team_ids, tickets_visible_to
from otklik.accounts.models import User
from otklik.sla.selectors import due_soon_ticket_ids, overdue_ticket_ids
from otklik.tickets.counts import kept_counts
from otklik.tickets.models import ACTIVE_KINDS, StatusKind, Ticket


@dataclass(frozen=True)
class Queue:
    key: str
    label: str | Promise
    order: int = 100
    icon: str = "inbox"
    # What the queue holds, on the columns the kept counts carry. kinds: status kinds (None: any).
    kinds: frozenset[str] | None = ACTIVE_KINDS
    assignee: Literal["me", "nobody", ""] = ""  # "": anyone
    my_teams: bool = False
    # Beyond those: the ids of the tickets it holds (a small set), counted by a query.
    ids: Callable[[User], QuerySet[Any]] | None = None

    def condition(self, viewer: User, held: Q | None = None) -> Q:
        """The queue as a ticket condition; `held`: the condition "one of the ids" already written for this
        request (`_held_by_ids`), in place of `pk__in=self.ids(viewer)`."""
        condition = Q() if self.kinds is None else Q(status__kind__in=self.kinds)
        if self.assignee == "me":
            condition &= Q(assignee_id=viewer.pk)
        elif self.assignee == "nobody":
            condition &= Q(assignee__isnull=True)
        if self.my_teams:
            condition &= Q(team_id__in=_team_ids(viewer))
        if self.ids is not None:
            condition &= Q(pk__in=self.ids(viewer)) if held is None else held
        return condition

    def holds(self, viewer: User, kind: str | None, team_id: int | None, assignee_id: int | None) -> bool:
        """`condition` for the tickets of one kept count (a queue without `ids`)."""
        if self.kinds is not None and kind not in self.kinds:
            return False
        if self.assignee == "me" and assignee_id != viewer.pk:
            return False
        if self.assignee == "nobody" and assignee_id is not None:
            return False
        return not self.my_teams or team_id in _team_ids(viewer)


def _watched_ids(viewer: User) -> QuerySet[Any]:
    return Ticket.watchers.through.objects.filter(user_id=viewer.pk).values("ticket_id")


_QUEUES: dict[str, Queue] = {}


def register_queue(queue: Queue) -> None:
    _QUEUES[queue.key] = queue


def queues() -> list[Queue]:
    return sorted(_QUEUES.values(), key=lambda queue: (queue.order, queue.key))


def queue_get(key: str) -> Queue | None:
    return _QUEUES.get(key)


for _queue in (
    Queue("mine", _("My tickets"), 10, "person", assignee="me"),
    Queue("unassigned", _("Unassigned"), 20, "inbox", assignee="nobody"),
    Queue("overdue", _("Overdue"), 12, "alarm", ids=lambda v: overdue_ticket_ids(timezone.now())),
    Queue("due_soon", _("Due soon"), 14, "clock-history", ids=lambda v: due_soon_ticket_ids(timezone.now())),
    Queue("team_unassigned", _("Unassigned in my teams"), 25, "inbox-fill", assignee="nobody", my_teams=True),
    Queue("team", _("My team"), 30, "people", my_teams=True),
    Queue("watching", _("Watching"), 40, "eye", ids=_watched_ids),
    Queue("waiting", _("Waiting for customer"), 50, "hourglass-split", kinds=frozenset({StatusKind.WAITING_CUSTOMER})),
    Queue("paused", _("Paused"), 60, "pause-circle", kinds=frozenset({StatusKind.ON_HOLD})),
    Queue("all", _("All I can see"), 1000, "collection", kinds=None),
):
    register_queue(_queue)


def _team_ids(viewer: User) -> list[int]:
    # Cached on the user object: the queue counts and the list use it in one request.
    cached: list[int] | None = getattr(viewer, "_otklik_team_ids", None)
    if cached is None:
        cached = member_team_ids(viewer)
        viewer._otklik_team_ids = cached  # type: ignore[attr-defined]
    return cached


def default_queue(viewer: User, counts: dict[str, int]) -> str:
    """Where an agent lands: their own open work, else what waits unclaimed in their teams, else
    everything unclaimed. Never a list of closed tickets."""
    if counts.get("mine"):
        return "mine"
    if _team_ids(viewer) and counts.get("team_unassigned"):
        return "team_unassigned"
    return "unassigned"


def queue_counts(viewer: User) -> dict[str, int]:
    """Every queue's count inside the viewer's scope (`accounts.access`), exact, in at most three queries
    whatever the number of tickets:

    - the kept counts of the scope's part decided by team and assignee (`access.kept_count_scope`): a sum
      over a table of one row per (team, assignee, status), not over the tickets;
    - the rest of the scope (the viewer's own requests, watched tickets, a shared organization's),
      counted over those tickets, read through indexes;
    - the queues that hold a set of ids (SLA clocks, watching), counted over those ids in the scope."""
    scope = kept_count_scope(viewer)
    counts = {queue.key: 0 for queue in queues()}
    kept = [queue for queue in queues() if queue.ids is None]
    if scope.everything or scope.kept is not None:
        _add_groups(counts, ((row.kind, row.team_id, row.assignee_id, row.n) for row in kept_counts(scope.kept)),
                    kept, viewer)
    if not scope.everything:
        _add_by_key(counts, scope.rest, kept, viewer)
    by_ids = [queue for queue in queues() if queue.ids is not None]
    if by_ids:
        _add_by_ids(counts, by_ids, viewer)
    return counts


def _held_by_ids(compiled: list[tuple[str, tuple[Any, ...]]]) -> Q:
    """"The ticket's id is one of these queries' ids" (`UNION ALL` of several) on SQL compiled once."""
    column = f'"{Ticket._meta.db_table}"."{Ticket._meta.pk.column}"'  # names from the model, as core.sql.key_in
    wrap = "({})" if connection.features.supports_parentheses_in_compound else "{}"
    sql = " UNION ALL ".join(wrap.format(part) for part, _params in compiled)
    params = tuple(param for _part, part_params in compiled for param in part_params)
    return Q(RawSQL(f"{column} IN ({sql})", params, output_field=BooleanField()))  # noqa: S611 - Django's SQL


def _add_by_ids(counts: dict[str, int], chosen: list[Queue], viewer: User) -> None:
    """Count the queues that hold a set of ids, in one query over the scope's tickets among those ids: each
    id query is compiled once and written twice, in the `WHERE` (all of them) and in its queue's `FILTER`;
    Django compiled each twice (issue #16, queue round 6). The same SQL as `pk__in` of the same querysets."""
    compiled = [queue.ids(viewer).order_by().query.sql_with_params() for queue in chosen if queue.ids is not None]
    held = tickets_visible_to(viewer).filter(_held_by_ids(compiled))
    result = held.order_by().aggregate(**{
        f"q_{queue.key}": Count("pk", filter=queue.condition(viewer, held=_held_by_ids([one])))
        for queue, one in zip(chosen, compiled, strict=True)})
    for key, value in result.items():
        counts[key[2:]] += value or 0


def _add_by_key(counts: dict[str, int], tickets: QuerySet[Ticket], chosen: list[Queue], viewer: User) -> None:
    """Count `tickets` per kept key (team, assignee, status kind) in one grouped query and add each group
    to the queues that hold it (`Queue.holds`, as for the kept counts): Django compiles one GROUP BY
    instead of a `FILTER` per queue (issue #16, queue page round 3)."""
    groups = tickets.order_by().values_list("status__kind", "team_id", "assignee_id").annotate(n=Count("pk"))
    _add_groups(counts, groups, chosen, viewer)


def _add_groups(counts: dict[str, int], groups: Iterable[tuple[str | None, int | None, int | None, int]],
                chosen: list[Queue], viewer: User) -> None:
    """Add each (status kind, team, assignee, how many) group to the queues that hold it (`Queue.holds`)."""
    for kind, team_id, assignee_id, n in groups:
        for queue in chosen:
            if queue.holds(viewer, kind, team_id, assignee_id):
                counts[queue.key] += n
