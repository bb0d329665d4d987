"""Report filters: parsed once from a query string, shared by the pages, the API and the exports."""

from __future__ import annotations

import calendar as month_calendar
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.access import StaffTeamScope, can_see_internal, staff_scope_by_team, tickets_handled_by
from otklik.accounts.models import Role, Team, User
from otklik.core.errors import InvalidInput
from otklik.reports.models import TicketTimes
from otklik.tickets.models import Category, Priority, Source, Ticket

logger = logging.getLogger(__name__)

MAX_DAYS = 3700  # ten years: a longer period is a typo, not a question


def zone() -> ZoneInfo:
    """Reports count days in the installation's time zone (settings.TIME_ZONE), for every viewer alike."""
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone())


def month_bounds(day: date) -> tuple[date, date]:
    last = month_calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date  # inclusive
    team_ids: tuple[int, ...] = ()
    category_id: int | None = None  # with its whole subtree
    priority_codes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    organization_id: int | None = None
    request_type_id: int | None = None
    assignee_id: int | None = None

    @property
    def since(self) -> datetime:
        return day_start(self.start)

    @property
    def until(self) -> datetime:
        """The exclusive end: midnight after the last day, in the installation's zone."""
        return day_start(self.end + timedelta(days=1))

    def days(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range((self.end - self.start).days + 1)]

    def with_period(self, start: date, end: date) -> ReportFilters:
        return replace(self, start=start, end=end)

    def params(self) -> list[tuple[str, str]]:
        """The filters as query parameters (for links, exports and the API)."""
        pairs = [("from", self.start.isoformat()), ("to", self.end.isoformat())]
        pairs += [("team", str(pk)) for pk in self.team_ids]
        if self.category_id is not None:
            pairs.append(("category", str(self.category_id)))
        pairs += [("priority", code) for code in self.priority_codes]
        pairs += [("source", code) for code in self.sources]
        for name, value in (("organization", self.organization_id), ("request_type", self.request_type_id),
                            ("assignee", self.assignee_id)):
            if value is not None:
                pairs.append((name, str(value)))
        return pairs

    def query(self) -> str:
        return urlencode(self.params())


def _ids(raw: list[str], name: str, errors: dict[str, str]) -> tuple[int, ...]:
    values = []
    for item in raw:
        if not item:
            continue
        if not item.isdigit():
            errors[name] = _("Expected a number, got %(value)s.") % {"value": item[:40]}
            continue
        values.append(int(item))
    return tuple(values)


def _one(raw: list[str], name: str, errors: dict[str, str]) -> int | None:
    ids = _ids(raw, name, errors)
    return ids[0] if ids else None


def _date(text: str, name: str, errors: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Expected a date as YYYY-MM-DD, got %(value)s.") % {"value": text[:40]}
        return None


def parse_filters(params: Mapping[str, Any], *, today: date | None = None) -> ReportFilters:
    """Filters from a QueryDict (or a dict of lists); the current month by default.

    Bad input raises InvalidInput naming each bad parameter; the raw value goes to the log."""
    today = today or timezone.localtime(timezone.now(), zone()).date()

    def values(name: str) -> list[str]:
        if hasattr(params, "getlist"):
            return [str(value) for value in params.getlist(name)]
        value = params.get(name)
        if value is None:
            return []
        return [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]

    errors: dict[str, str] = {}
    default_start, default_end = month_bounds(today)
    start = _date(values("from")[0], "from", errors) if values("from") and values("from")[0] else default_start
    end = _date(values("to")[0], "to", errors) if values("to") and values("to")[0] else None
    if end is None and "to" not in errors:
        end = month_bounds(start)[1] if start is not None and values("from") else default_end
    sources = tuple(value for value in values("source") if value)
    unknown = [value for value in sources if value not in Source.values]
    if unknown:
        errors["source"] = _("Unknown source: %(value)s.") % {"value": unknown[0][:40]}
    choices: dict[str, Any] = {
        "team_ids": _ids(values("team"), "team", errors),
        "category_id": _one(values("category"), "category", errors),
        "priority_codes": tuple(value[:50] for value in values("priority") if value), "sources": sources,
        "organization_id": _one(values("organization"), "organization", errors),
        "request_type_id": _one(values("request_type"), "request_type", errors),
        "assignee_id": _one(values("assignee"), "assignee", errors),
    }
    filters = None
    if start is not None and end is not None:
        if end < start:
            errors["to"] = _("The end of the period is before its start.")
        elif (end - start).days > MAX_DAYS:
            errors["to"] = _("The period is too long.")
        filters = ReportFilters(start=start, end=end, **choices)
    if errors or filters is None:
        logger.info("reports: bad filters %r: %s", dict(params), errors)
        raise InvalidInput(_("Some report filters are not valid."), errors=errors)
    return filters


def category_subtree(category_id: int) -> list[int]:
    category = Category.objects.filter(pk=category_id).first()
    return category.subtree_ids() if category is not None else []


def may_see_reports(viewer: User | None) -> bool:
    """Support staff only; requesters see no report at all."""
    return can_see_internal(viewer)


def is_own_figures_only(viewer: User) -> bool:
    """Agents see their own figures; managers, auditors and admins their whole staff scope."""
    return bool(not viewer.is_superuser and viewer.role == Role.AGENT)


def filter_condition(viewer: User, filters: ReportFilters) -> Q:
    """The report filters (and an agent's own figures) as one condition on the ticket's field names, which
    the per-ticket report rows (`TicketTimes`) carry under the same names."""
    condition = Q()
    if is_own_figures_only(viewer):
        condition &= Q(assignee_id=viewer.pk)
    if filters.team_ids:
        condition &= Q(team_id__in=filters.team_ids)
    if filters.category_id is not None:
        condition &= Q(category_id__in=category_subtree(filters.category_id))
    if filters.priority_codes:
        condition &= Q(priority_id__in=list(
            Priority.objects.filter(code__in=filters.priority_codes).values_list("pk", flat=True)))
    if filters.sources:
        condition &= Q(source__in=filters.sources)
    if filters.organization_id is not None:
        condition &= Q(organization_id=filters.organization_id)
    if filters.request_type_id is not None:
        condition &= Q(request_type_id=filters.request_type_id)
    if filters.assignee_id is not None:
        condition &= Q(assignee_id=filters.assignee_id)
    return condition


def scoped_tickets(viewer: User, filters: ReportFilters) -> QuerySet[Ticket]:
    """The tickets every report counts: the viewer's staff scope, merged tickets left out, filters applied."""
    return tickets_handled_by(viewer).filter(merged_into__isnull=True).filter(filter_condition(viewer, filters))


def scope_parts(viewer: User) -> StaffTeamScope | None:
    """The viewer's staff scope split by team (None: every ticket, read without a condition per row)."""
    parts = staff_scope_by_team(viewer)
    if parts is not None and parts.unrouted and set(parts.team_ids) >= set(Team.objects.values_list("pk", flat=True)):
        return None  # every team and the unrouted tickets: every ticket
    return parts


def scoped_rows(viewer: User, filters: ReportFilters) -> QuerySet[TicketTimes]:
    """The same tickets as `scoped_tickets`, as their per-ticket report rows: one narrow table whose indexes
    hold a period's rows whole, so aggregates never join the tickets.

    The staff scope is the access module's own condition (`StaffTeamScope.condition`, as in
    `access.tickets_handled_by`); the rows carry the ticket's field names and their primary key is the
    ticket's, so it applies unchanged."""
    rows = TicketTimes.objects.filter(merged=False)
    if not can_see_internal(viewer):
        return rows.none()
    parts = scope_parts(viewer)
    if parts is not None:
        rows = rows.filter(parts.condition())
    return rows.filter(filter_condition(viewer, filters))


def scoped_copies[M: Model](model: type[M], viewer: User, filters: ReportFilters) -> QuerySet[M]:
    """Rows of a table that carries its ticket's report dimensions (SLA outcomes, agent work) for exactly
    the tickets of `scoped_rows`: the access module's whole-team part (`teams_condition`) on the copied team,
    or the ticket among the viewer's personal rest (assigned, watched: `personal`, read on the report rows,
    whose key is the ticket's), as `StaffTeamScope.condition` composes them."""
    rows = model.objects.filter(merged=False)  # type: ignore[attr-defined]
    if not can_see_internal(viewer):
        return rows.none()  # type: ignore[no-any-return]
    parts = scope_parts(viewer)
    if parts is not None:
        personal = TicketTimes.objects.filter(merged=False).filter(parts.personal).values("pk")
        rows = rows.filter(parts.teams_condition() | Q(ticket_id__in=personal))
    return rows.filter(filter_condition(viewer, filters))  # type: ignore[no-any-return]
