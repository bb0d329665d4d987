"""The agent's queues: named filters with live counts, computed in one query.

Other parts add their own queues (the SLA part: Overdue, Due soon) with `register_queue`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from otklik.accounts.access import sees_everything, tickets_visible_to
from otklik.accounts.models import User
from otklik.sla.selectors import due_soon_ticket_condition, overdue_ticket_condition
from otklik.tickets.models import ACTIVE_KINDS, Status, StatusKind, Ticket


@dataclass(frozen=True)
class Queue:
    key: str
    label: str | Promise
    condition: Callable[[User], Q]
    order: int = 100
    icon: str = "inbox"
    # Only active tickets can match: counted over the (few) active tickets through the status index.
    active_only: bool = True


def _active() -> Q:
    return Q(status__kind__in=ACTIVE_KINDS)


def _watching(viewer: User) -> Q:
    through = Ticket.watchers.through
    return Q(pk__in=through.objects.filter(user_id=viewer.pk).values("ticket_id"))


_QUEUES: dict[str, Queue] = {}


def register_queue(queue: Queue) -> None:
    _QUEUES[queue.key] = queue


def queues() -> list[Queue]:
    return sorted(_QUEUES.values(), key=lambda queue: (queue.order, queue.key))


def queue_get(key: str) -> Queue | None:
    return _QUEUES.get(key)


for _queue in (
    Queue("mine", _("My tickets"), lambda v: _active() & Q(assignee_id=v.pk), 10, "person"),
    Queue("unassigned", _("Unassigned"), lambda v: _active() & Q(assignee__isnull=True), 20, "inbox"),
    Queue("overdue", _("Overdue"), lambda v: _active() & overdue_ticket_condition(timezone.now()), 12,
          "alarm"),
    Queue("due_soon", _("Due soon"), lambda v: _active() & due_soon_ticket_condition(timezone.now()), 14,
          "clock-history"),
    Queue("team_unassigned", _("Unassigned in my teams"),
          lambda v: _active() & Q(assignee__isnull=True, team_id__in=_team_ids(v)), 25, "inbox-fill"),
    Queue("team", _("My team"), lambda v: _active() & Q(team_id__in=_team_ids(v)), 30, "people"),
    Queue("watching", _("Watching"), lambda v: _active() & _watching(v), 40, "eye"),
    Queue("waiting", _("Waiting for customer"), lambda v: Q(status__kind=StatusKind.WAITING_CUSTOMER), 50,
          "hourglass-split"),
    Queue("paused", _("Paused"), lambda v: Q(status__kind=StatusKind.ON_HOLD), 60, "pause-circle"),
    Queue("all", _("All I can see"), lambda v: Q(), 1000, "collection", active_only=False),
):
    register_queue(_queue)


def _team_ids(viewer: User) -> list[int]:
    # Cached on the user object: the queue counts and the list use it in one request.
    cached: list[int] | None = getattr(viewer, "_otklik_team_ids", None)
    if cached is None:
        cached = list(viewer.teams.values_list("pk", flat=True))
        viewer._otklik_team_ids = cached  # type: ignore[attr-defined]
    return cached


# Above this many tickets an administrator's unfiltered count comes from the planner's statistics.
ESTIMATE_ABOVE = 100_000


def default_queue(viewer: User, counts: dict[str, int]) -> str:
    """Where an agent lands: their own open work, else what waits unclaimed in their teams, else
    everything unclaimed. Never a list of closed tickets."""
    if counts.get("mine"):
        return "mine"
    if _team_ids(viewer) and counts.get("team_unassigned"):
        return "team_unassigned"
    return "unassigned"


def queue_counts(viewer: User) -> dict[str, int]:
    """Every queue's count: one aggregate over the viewer's active tickets (the status index finds them
    without reading closed history), one over all they see for the queues that include closed tickets.

    An administrator's unfiltered count at a large desk is PostgreSQL's row estimate (`pg_class`,
    refreshed by autovacuum): counting a million rows on every list refresh costs more than it tells."""
    visible = tickets_visible_to(viewer)
    active_ids = list(Status.objects.filter(kind__in=ACTIVE_KINDS).values_list("pk", flat=True))
    active = [queue for queue in queues() if queue.active_only]
    counts: dict[str, int] = {}
    if active:
        aggregates = {f"q_{queue.key}": Count("pk", filter=queue.condition(viewer)) for queue in active}
        result = visible.filter(status_id__in=active_ids).aggregate(**aggregates)
        counts.update({key[2:]: value or 0 for key, value in result.items()})
    rest = [queue for queue in queues() if not queue.active_only]
    estimate = _estimate_all() if rest and sees_everything(viewer) else None
    if estimate is not None:
        counts.update({queue.key: estimate for queue in rest if queue.key == "all"})
        rest = [queue for queue in rest if queue.key != "all"]
    if rest:
        result = visible.aggregate(**{f"q_{queue.key}": Count("pk", filter=queue.condition(viewer)) for queue in rest})
        counts.update({key[2:]: value or 0 for key, value in result.items()})
    return counts


def _estimate_all() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'tickets_ticket'::regclass")
        row = cursor.fetchone()
    estimate = int(row[0]) if row else -1
    return estimate if estimate > ESTIMATE_ABOVE else None
