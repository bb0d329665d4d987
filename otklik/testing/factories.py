"""Small builders for test data that go through the real services."""

from __future__ import annotations

from datetime import datetime
from itertools import count
from typing import Any

from django.utils import timezone

from otklik.accounts.models import Role, User
from otklik.tickets import services
from otklik.tickets.models import Category, Priority, RequestType, Status, Ticket

_sequence = count(1)


def user(role: str = Role.REQUESTER, **fields: Any) -> User:
    n = next(_sequence)
    fields.setdefault("email", f"user{n}@factory.test")
    return User.objects.create_user(role=role, password="x-password-1", **fields)


def ticket(
    *, requester: User, subject: str = "Printer is broken", body: str = "It does not print.",
    actor: User | None = None, now: datetime | None = None, **options: Any,
) -> Ticket:
    # Set-up routes like a channel's configuration: a requester's test ticket may start in a team.
    return services._ticket_create(
        actor=actor if actor is not None else requester, requester=requester, subject=subject,
        body_text=body, now=now or timezone.now(), **options,
    )


def status(code: str) -> Status:
    return Status.objects.get(code=code)


def priority(code: str) -> Priority:
    return Priority.objects.get(code=code)


def category(name: str, parent: Category | None = None) -> Category:
    return Category.objects.create(name=name, parent=parent)


def request_type(code: str, **fields: Any) -> RequestType:
    fields.setdefault("name", code.title())
    return RequestType.objects.create(code=code, **fields)
