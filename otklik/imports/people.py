"""Organizations and people of an import batch: found by their source id, then by name or email,
else created in bulk. Imported people never gain rights: a new staff member from the source becomes an
agent; an existing user's role is never changed by an import."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.hashers import make_password

from otklik.accounts.models import Organization, Role, User
from otklik.imports.models import RefKind
from otklik.imports.records import OrgRecord, PersonRecord
from otklik.imports.refs import refs_add, refs_lookup

PLACEHOLDER_DOMAIN = "import.invalid"


@dataclass
class Resolved:
    orgs: dict[str, int] = field(default_factory=dict)  # org key -> Organization id
    people: dict[str, int] = field(default_factory=dict)  # person key -> User id
    staff: set[int] = field(default_factory=set)  # ids of people who are support staff
    created: dict[str, int] = field(default_factory=lambda: {"organization": 0, "person": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"organization": 0, "person": 0})


def org_key(org: OrgRecord) -> str:
    return org.external_id or f"name:{org.name.strip().lower()}"


def person_email(namespace: str, person: PersonRecord) -> str:
    email = person.email.strip().lower()
    if email and "@" in email:
        return email[:254]
    # No address in the source (a phone caller, a deleted user): a stable address that cannot receive mail.
    slug = re.sub(r"[^a-z0-9]+", "-", f"{namespace}-{person.external_id}".lower()).strip("-")
    return f"{slug or 'person'}@{PLACEHOLDER_DOMAIN}"


def person_key(namespace: str, person: PersonRecord) -> str:
    return person.external_id or f"email:{person_email(namespace, person)}"


def _split_name(name: str) -> tuple[str, str]:
    first, _sep, last = " ".join(name.split()).partition(" ")
    return first[:150], last[:150]


def resolve_orgs(
    namespace: str, orgs: list[OrgRecord], standalone: set[str], resolved: Resolved, now: datetime
) -> None:
    """`standalone`: keys of organizations given as rows of their own, whose fields a re-run updates."""
    unique: dict[str, OrgRecord] = {}
    for org in orgs:
        if org.name.strip() or org.external_id:
            unique.setdefault(org_key(org), org)
    mapped = refs_lookup(namespace, RefKind.ORGANIZATION, (o.external_id for o in unique.values()))
    by_name = {
        o.name.lower(): o
        for o in Organization.objects.filter(name__in=[o.name.strip()[:200] for o in unique.values() if o.name.strip()])
    }
    new: dict[str, Organization] = {}
    new_refs: dict[str, int] = {}
    for key, org in unique.items():
        name = org.name.strip()[:200]
        if org.external_id in mapped:
            resolved.orgs[key] = mapped[org.external_id]
            if key in standalone:
                changed = (
                    Organization.objects.filter(pk=mapped[org.external_id])
                    .exclude(domain=org.domain[:200])
                    .update(domain=org.domain[:200])
                )
                resolved.updated["organization"] += changed
            continue
        existing = by_name.get(name.lower())
        if existing is not None:
            resolved.orgs[key] = existing.pk
            new_refs[org.external_id] = existing.pk
        elif name:
            new[key] = Organization(name=name, domain=org.domain[:200], created_at=now)
            by_name[name.lower()] = new[key]
    if new:
        Organization.objects.bulk_create(list(new.values()))
        for key, row in new.items():
            resolved.orgs[key] = row.pk
            if unique[key].external_id:
                new_refs[unique[key].external_id] = row.pk
        resolved.created["organization"] += len(new)
    refs_add(namespace, RefKind.ORGANIZATION, new_refs, now)


def resolve_people(
    namespace: str, people: list[PersonRecord], standalone: set[str], resolved: Resolved, now: datetime
) -> None:
    unique: dict[str, PersonRecord] = {}
    for person in people:
        key = person_key(namespace, person)
        known = unique.get(key)
        # the fullest record of a person wins (a ticket row may carry only the email)
        if known is None or (not known.name and person.name) or (person.is_staff and not known.is_staff):
            unique[key] = person
    mapped = refs_lookup(namespace, RefKind.PERSON, (p.external_id for p in unique.values()))
    emails = {person_email(namespace, p) for k, p in unique.items() if p.external_id not in mapped}
    by_email = {u.email: u for u in User.objects.filter(email__in=emails).only("pk", "email", "role")}
    new: dict[str, User] = {}
    new_refs: dict[str, int] = {}
    unusable = make_password(None)
    for key, person in unique.items():
        org_id = resolved.orgs.get(org_key(person.organization)) if person.organization else None
        if person.external_id in mapped:
            user_id = mapped[person.external_id]
            resolved.people[key] = user_id
            if key in standalone:
                first, last = _split_name(person.name)
                fields: dict[str, object] = {"first_name": first, "last_name": last, "phone": person.phone[:50]}
                if org_id is not None:
                    fields["organization_id"] = org_id
                resolved.updated["person"] += User.objects.filter(pk=user_id).update(**fields)
            continue
        email = person_email(namespace, person)
        existing = by_email.get(email)
        if existing is not None:
            resolved.people[key] = existing.pk
            if person.external_id:
                new_refs[person.external_id] = existing.pk
            continue
        first, last = _split_name(person.name)
        user = User(
            username=email,
            email=email,
            first_name=first,
            last_name=last,
            phone=person.phone[:50],
            role=Role.AGENT if person.is_staff else Role.REQUESTER,
            organization_id=org_id,
            password=unusable,
            is_active=True,
            date_joined=now,
        )
        new[key] = user
        by_email[email] = user
    if new:
        User.objects.bulk_create(list(new.values()))
        for key, user in new.items():
            resolved.people[key] = user.pk
            if unique[key].external_id:
                new_refs[unique[key].external_id] = user.pk
        resolved.created["person"] += len(new)
    refs_add(namespace, RefKind.PERSON, new_refs, now)
    staff_roles = [Role.AGENT, Role.MANAGER, Role.ADMIN, Role.AUDITOR]
    resolved.staff |= set(
        User.objects.filter(pk__in=set(resolved.people.values()), role__in=staff_roles).values_list("pk", flat=True)
    )
