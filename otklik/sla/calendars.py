"""The only adapter from calendar rows to `otklik.worktime` objects.

A policy's effective calendar (SPEC 3.3) is its schedule's weekly hours and time zone plus, in
this order, the schedule's holiday calendar, the policy's holiday calendar and the policy's own
exceptions (list position only breaks the last tie, so policy entries win ties). Its identity is
a hash of that content: a clock remembers the key it measures with, and the content is kept in a
`CalendarSnapshot` row so the clock can be replayed on the calendar that was in force.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from threading import Lock

from django.db import IntegrityError, transaction
from django.db.models import Q

from otklik.sla.models import CalendarException, CalendarSnapshot, Schedule, SlaPolicy
from otklik.worktime import BusinessCalendar, CalendarConfigError, cached_calendar, validate_calendar

logger = logging.getLogger(__name__)


class SlaConfigError(Exception):
    """A calendar or policy that cannot be used; the message names the row and the problem."""

    code = "sla_config_error"


@dataclass(frozen=True)
class CalendarData:
    """The stored JSON form the worktime parser reads."""

    timezone: str
    schedule: object
    exceptions: list[dict[str, object]]

    @property
    def key(self) -> str:
        canonical = json.dumps([self.timezone, self.schedule, self.exceptions], sort_keys=True,
                               separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def build(self) -> BusinessCalendar:
        return cached_calendar(self.timezone, self.schedule, self.exceptions)


def _exceptions_of(*, holiday_calendar_ids: list[int], policy_id: int | None) -> list[CalendarException]:
    condition = Q(holiday_calendar_id__in=holiday_calendar_ids)
    if policy_id is not None:
        condition |= Q(policy_id=policy_id)
    if not holiday_calendar_ids and policy_id is None:
        return []
    return list(CalendarException.objects.filter(condition).order_by("date_from", "id"))


def policy_calendar_data(policy: SlaPolicy) -> CalendarData:
    schedule = policy.schedule
    calendar_ids = [pk for pk in (schedule.holiday_calendar_id, policy.holiday_calendar_id) if pk is not None]
    rows = _exceptions_of(holiday_calendar_ids=calendar_ids, policy_id=policy.pk)

    def owner_rank(row: CalendarException) -> int:
        if row.policy_id is not None:
            return 2
        return 0 if row.holiday_calendar_id == schedule.holiday_calendar_id else 1

    ordered = sorted(rows, key=owner_rank)  # stable: keeps date order inside each owner
    return CalendarData(schedule.timezone, schedule.week, [row.to_data() for row in ordered])


def schedule_calendar_data(schedule: Schedule) -> CalendarData:
    ids = [schedule.holiday_calendar_id] if schedule.holiday_calendar_id is not None else []
    rows = _exceptions_of(holiday_calendar_ids=ids, policy_id=None)
    return CalendarData(schedule.timezone, schedule.week, [row.to_data() for row in rows])


def check(data: CalendarData, where: str) -> None:
    """Raise `SlaConfigError` naming every problem of the calendar."""
    validation = validate_calendar(data.timezone, data.schedule, data.exceptions)
    if not validation.is_valid:
        raise SlaConfigError(f"{where}: " + "; ".join(validation.problems))


def snapshot_ensure(data: CalendarData, now: datetime) -> str:
    """Store the calendar's content under its key (once) and return the key."""
    key = data.key
    if not CalendarSnapshot.objects.filter(key=key).exists():
        try:
            with transaction.atomic():
                CalendarSnapshot.objects.create(key=key, timezone=data.timezone, schedule=data.schedule,
                                                exceptions=data.exceptions, created_at=now)
        except IntegrityError:  # another transaction stored the same content first
            pass
    return key


class _SnapshotCache:
    """Key -> calendar. Content behind a key never changes, so entries never go stale."""

    def __init__(self) -> None:
        self._calendars: dict[str, BusinessCalendar] = {}
        self._lock = Lock()

    def get(self, key: str) -> BusinessCalendar:
        calendar = self._calendars.get(key)
        if calendar is not None:
            return calendar
        row = CalendarSnapshot.objects.filter(key=key).first()
        if row is None:
            raise SlaConfigError(f"calendar snapshot {key[:12]} is missing")
        try:
            calendar = cached_calendar(row.timezone, row.schedule, row.exceptions)
        except CalendarConfigError as error:
            raise SlaConfigError(f"calendar snapshot {key[:12]}: {'; '.join(error.problems)}") from error
        with self._lock:
            if len(self._calendars) > 512:
                self._calendars.clear()
            self._calendars[key] = calendar
        return calendar

    def put(self, key: str, calendar: BusinessCalendar) -> None:
        with self._lock:
            self._calendars[key] = calendar


_known_snapshots = _SnapshotCache()


def calendar_for_key(key: str) -> BusinessCalendar:
    return _known_snapshots.get(key)


def policy_calendar(policy: SlaPolicy, now: datetime) -> tuple[str, BusinessCalendar]:
    """The policy's effective calendar and its key, stored as a snapshot for later replay."""
    data = policy_calendar_data(policy)
    try:
        calendar = data.build()
    except CalendarConfigError as error:
        raise SlaConfigError(f"SLA policy {policy.name!r}: {'; '.join(error.problems)}") from error
    key = snapshot_ensure(data, now)
    _known_snapshots.put(key, calendar)
    return key, calendar
