"""Reads of a person's own notifications and preferences."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from otklik.accounts.models import User
from otklik.notifications.models import Notification, NotificationPreference
from otklik.notifications.topics import Topic, topics_for


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_of(user: User) -> QuerySet[Notification]:
    """Only the person's own rows, newest first; the list shows no related objects, so one query per page."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


@dataclass(frozen=True)
class PreferenceRow:
    topic: Topic
    email: bool
    in_app: bool


def preference_rows(user: User) -> list[PreferenceRow]:
    stored = {row.topic: row for row in NotificationPreference.objects.filter(user=user)}
    rows = []
    for topic in topics_for(is_staff=user.is_staff_member or user.is_superuser):
        row = stored.get(topic.code)
        rows.append(PreferenceRow(topic, row.email if row else True, row.in_app if row else True))
    return rows
