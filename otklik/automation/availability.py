"""Who can take a new ticket now: active writers of the team, opted in to automatic assignment,
not away, and inside their working hours (a worktime weekly schedule in their time zone)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from otklik.accounts.models import Role, Team, User
from otklik.automation.models import AgentAvailability
from otklik.core.errors import InvalidInput
from otklik.worktime import CalendarConfigError, parse_calendar

logger = logging.getLogger(__name__)


def takes_auto_assignments(user: User, availability: AgentAvailability | None) -> bool:
    if not user.is_active or not (user.can_write or user.is_superuser):
        return False
    if availability is not None and availability.auto_assign is not None:
        return availability.auto_assign
    return user.role == Role.AGENT


def is_available(user: User, availability: AgentAvailability | None, at: datetime) -> bool:
    if not user.is_active:
        return False
    if availability is None:
        return True
    if availability.is_away and (availability.away_until is None or at < availability.away_until):
        return False
    if not availability.weekly_hours:
        return True
    zone = availability.time_zone or user.time_zone or settings.TIME_ZONE
    try:
        calendar = parse_calendar(zone, availability.weekly_hours, [])
    except CalendarConfigError as exc:
        # A broken schedule must not hide the person from every queue: treat as always available.
        logger.warning("working hours of user %s do not parse (%s); treating as available", user.pk, exc)
        return True
    return calendar.is_working(at)


def assignable_members(team: Team, at: datetime) -> list[User]:
    """Candidates for round robin and least-loaded, in a stable order (by id)."""
    members = list(team.members.filter(is_active=True).select_related("availability").order_by("pk"))
    chosen = []
    for member in members:
        availability = getattr(member, "availability", None)
        if takes_auto_assignments(member, availability) and is_available(member, availability, at):
            chosen.append(member)
    return chosen


@transaction.atomic
def availability_set_away(*, actor: User, away: bool, until: datetime | None, now: datetime) -> AgentAvailability:
    """An agent marks themselves away (optionally until a moment) or back."""
    if not actor.is_staff_member:
        raise InvalidInput(_("Only staff have availability."))
    if away and until is not None and until <= now:
        raise InvalidInput(_("The end of the absence must be in the future."))
    availability, _created = AgentAvailability.objects.get_or_create(user=actor)
    availability.is_away = away
    availability.away_until = until if away else None
    availability.save(update_fields=["is_away", "away_until"])
    return availability
