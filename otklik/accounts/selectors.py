"""Reads of the people and organization directory; each starts from what the viewer may see (access.py)."""

from __future__ import annotations

import re
from functools import reduce
from operator import and_

from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Replace

from otklik.accounts import access
from otklik.accounts.models import Organization, Team, User
from otklik.core import lookups
from otklik.core.errors import NotFound

lookups.depends_on("accounts.teams", Team)


def teams_all() -> list[Team]:
    """Every team in the model's order (by name), kept in the cache until a team is saved or deleted."""
    return lookups.remembered("accounts.teams", lambda: list(Team.objects.all()))


lookups.depends_on("accounts.organization_domains", Organization)


def _organizations_by_domain() -> dict[str, Organization]:
    by_domain: dict[str, Organization] = {}
    for organization in Organization.objects.exclude(domain=""):  # in the model's order, as `first()` takes
        by_domain.setdefault(organization.domain.lower(), organization)
    return by_domain


def organization_for_email_domain(domain: str) -> Organization | None:
    """The organization a new sender from this email domain joins (its `domain`, any case; the first in the
    model's order when two share one). The organizations with a domain are kept in the cache until one is
    saved or deleted, so a burst of new senders reads them once."""
    return lookups.remembered("accounts.organization_domains", _organizations_by_domain).get(domain.lower())

# Spaces, dashes, dots and brackets people type in phone numbers differently each time.
_PHONE_NOISE = (" ", "-", "(", ")", ".")
_NOT_DIGIT = re.compile(r"\D")


def _phone_digits() -> Replace:
    expression: Replace | F = F("phone")
    for noise in _PHONE_NOISE:
        expression = Replace(expression, Value(noise), Value(""))
    assert isinstance(expression, Replace)
    return expression


def _word_rule(word: str) -> Q:
    rule = (
        Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        | Q(phone__icontains=word) | Q(organization__name__icontains=word)
    )
    digits = _NOT_DIGIT.sub("", word)
    if len(digits) >= 3:
        # "+7 495 123" finds "+7 (495) 123-45-67": both sides compared without the punctuation.
        rule |= Q(phone_digits__contains=digits)
    return rule


def people_search(viewer: User | None, text: str = "") -> QuerySet[User]:
    """People the viewer may see whose name, email, phone or organization matches every word of `text`.

    One query for a page of rows: the organization comes joined."""
    people = (
        access.people_visible_to(viewer).select_related("organization")
        .annotate(phone_digits=_phone_digits())
    )
    words = text.split()[:8]
    if words:
        people = people.filter(reduce(and_, (_word_rule(word) for word in words)))
    return people.order_by("last_name", "first_name", "email", "pk")


def organizations_search(viewer: User | None, text: str = "") -> QuerySet[Organization]:
    """Organizations the viewer may see whose name or email domain matches `text`, with their member count."""
    organizations: QuerySet[Organization] = access.organizations_visible_to(viewer)
    text = text.strip()
    if text:
        organizations = organizations.filter(Q(name__icontains=text) | Q(domain__icontains=text))
    return organizations.annotate(people_count=Count("members", distinct=True)).order_by("name", "pk")


def person_get_for(viewer: User | None, pk: int) -> User:
    """One person of the directory, or NotFound for absent and not visible alike."""
    person = access.people_visible_to(viewer).select_related("organization").filter(pk=pk).first()
    if person is None:
        raise NotFound()
    return person


def organization_get_for(viewer: User | None, pk: int) -> Organization:
    organization = access.organizations_visible_to(viewer).filter(pk=pk).first()
    if organization is None:
        raise NotFound()
    assert isinstance(organization, Organization)
    return organization
