"""Matching tickets against rule and trigger conditions.

`conditions_match` decides for one ticket at one instant (rules and triggers at run time);
`conditions_q` is the same test as a query for the preview, minus what only exists at event time
(time of day, mailbox) and with custom fields narrowed to "has the field" and finished in Python.
A test keeps the two in agreement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from otklik.automation.models import AssigneeState, TicketConditions, Trigger
from otklik.tickets.models import Category, Ticket, category_in_subtree, category_subtree_q

FIELD_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*(?:_[A-Za-z0-9-]+)*$")


@dataclass(frozen=True)
class MatchContext:
    at: datetime
    mailbox: str = ""


def _ids(related: Iterable[Any]) -> set[int]:
    return {item.pk for item in related}


def _category_matches(conditions: TicketConditions, category: Category | None) -> bool:
    wanted = list(conditions.categories.all())
    if not wanted:
        return True
    if category is None:
        return False
    if not conditions.include_subcategories:
        return any(candidate.pk == category.pk for candidate in wanted)
    return any(category_in_subtree(candidate, pk=category.pk, path=category.path) for candidate in wanted)


def _accepted(values: object) -> set[str]:
    if isinstance(values, list | tuple):
        return {str(value) for value in values}
    return {str(values)}


def field_values_match(conditions: TicketConditions, fields: dict[str, Any]) -> bool:
    for code, accepted in (conditions.field_values or {}).items():
        value = fields.get(code)
        if value is None or value == "" or value == []:
            return False
        present = _accepted(value)
        if not present & _accepted(accepted):
            return False
    return True


def _local(at: datetime) -> datetime:
    return at.astimezone(ZoneInfo(settings.TIME_ZONE))


def time_matches(conditions: TicketConditions, at: datetime) -> bool:
    local = _local(at)
    if conditions.weekdays and local.weekday() not in {int(day) for day in conditions.weekdays}:
        return False
    start, end = conditions.time_from, conditions.time_to
    now_time: time = local.time()
    if start is not None and end is not None:
        if start <= end:
            return start <= now_time < end
        return now_time >= start or now_time < end  # a window across midnight, e.g. 20:00-08:00
    if start is not None:
        return now_time >= start
    if end is not None:
        return now_time < end
    return True


def conditions_match(conditions: TicketConditions, ticket: Ticket, context: MatchContext) -> bool:
    """Every given condition holds. Uses prefetched many-to-many rows when the caller prefetched them."""
    if not _category_matches(conditions, ticket.category):
        return False
    request_types = _ids(conditions.request_types.all())
    if request_types and ticket.request_type_id not in request_types:
        return False
    priorities = _ids(conditions.priorities.all())
    if priorities and ticket.priority_id not in priorities:
        return False
    if conditions.sources and ticket.source not in conditions.sources:
        return False
    organizations = _ids(conditions.organizations.all())
    if organizations and ticket.organization_id not in organizations:
        return False
    mailboxes = conditions.mailbox_list()
    if mailboxes and context.mailbox.strip().lower() not in mailboxes:
        return False
    if not field_values_match(conditions, ticket.fields or {}):
        return False
    return time_matches(conditions, context.at)


def trigger_matches(trigger: Trigger, ticket: Ticket, context: MatchContext) -> bool:
    statuses = _ids(trigger.statuses.all())
    if statuses and ticket.status_id not in statuses:
        return False
    teams = _ids(trigger.teams.all())
    if teams and ticket.team_id not in teams:
        return False
    if trigger.assignee_state == AssigneeState.UNASSIGNED and ticket.assignee_id is not None:
        return False
    if trigger.assignee_state == AssigneeState.ASSIGNED and ticket.assignee_id is None:
        return False
    wanted_tags = _ids(trigger.tags.all())
    if wanted_tags and not wanted_tags & set(ticket.tags.values_list("pk", flat=True)):
        return False
    return conditions_match(trigger, ticket, context)


def conditions_q(conditions: TicketConditions) -> Q:
    """A superset filter of `conditions_match` for previews (see the module note)."""
    query = Q()
    categories = list(conditions.categories.all())
    if categories:
        if conditions.include_subcategories:
            query &= category_subtree_q(categories)
        else:
            query &= Q(category_id__in=[category.pk for category in categories])
    request_types = _ids(conditions.request_types.all())
    if request_types:
        query &= Q(request_type_id__in=request_types)
    priorities = _ids(conditions.priorities.all())
    if priorities:
        query &= Q(priority_id__in=priorities)
    if conditions.sources:
        query &= Q(source__in=list(conditions.sources))
    organizations = _ids(conditions.organizations.all())
    if organizations:
        query &= Q(organization_id__in=organizations)
    for code in (conditions.field_values or {}):
        if FIELD_CODE.match(code):
            query &= Q(fields__has_key=code)
    return query


def trigger_q(trigger: Trigger) -> Q:
    query = conditions_q(trigger)
    statuses = _ids(trigger.statuses.all())
    if statuses:
        query &= Q(status_id__in=statuses)
    teams = _ids(trigger.teams.all())
    if teams:
        query &= Q(team_id__in=teams)
    if trigger.assignee_state == AssigneeState.UNASSIGNED:
        query &= Q(assignee__isnull=True)
    elif trigger.assignee_state == AssigneeState.ASSIGNED:
        query &= Q(assignee__isnull=False)
    wanted_tags = _ids(trigger.tags.all())
    if wanted_tags:
        query &= Q(pk__in=Ticket.tags.through.objects.filter(tag_id__in=wanted_tags).values("ticket_id"))
    return query


CONDITION_PREFETCH = ("categories", "request_types", "priorities", "organizations")
