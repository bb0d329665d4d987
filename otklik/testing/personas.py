"""The named people of DESIGN.md, the same in every test suite.

Alice and Bob are requesters of org A, Carol of org B; Fiona works the first line, Sam the second;
Mia manages both lines, Rita audits them read-only, Adam administers everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from otklik.accounts.models import Organization, Role, Team, TeamKind, User

PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class Personas:
    org_a: Organization
    org_b: Organization
    first_line: Team
    second_line: Team
    alice: User
    bob: User
    carol: User
    fiona: User
    sam: User
    mia: User
    rita: User
    adam: User

    def all_users(self) -> dict[str, User]:
        return {name: getattr(self, name) for name in ("alice", "bob", "carol", "fiona", "sam", "mia", "rita", "adam")}


def _user(email: str, first: str, role: str, organization: Organization | None = None) -> User:
    return User.objects.create_user(
        email=email, password=PASSWORD, first_name=first, role=role, organization=organization,
        is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN,
    )


def create_personas() -> Personas:
    org_a = Organization.objects.create(name="Org A", domain="a.example")
    org_b = Organization.objects.create(name="Org B", domain="b.example")
    first_line = Team.objects.create(name="First line", kind=TeamKind.FIRST_LINE)
    second_line = Team.objects.create(name="Second line", kind=TeamKind.SECOND_LINE)
    people = Personas(
        org_a=org_a, org_b=org_b, first_line=first_line, second_line=second_line,
        alice=_user("alice@a.example", "Alice", Role.REQUESTER, org_a),
        bob=_user("bob@a.example", "Bob", Role.REQUESTER, org_a),
        carol=_user("carol@b.example", "Carol", Role.REQUESTER, org_b),
        fiona=_user("fiona@otklik.test", "Fiona", Role.AGENT),
        sam=_user("sam@otklik.test", "Sam", Role.AGENT),
        mia=_user("mia@otklik.test", "Mia", Role.MANAGER),
        rita=_user("rita@otklik.test", "Rita", Role.AUDITOR),
        adam=_user("adam@otklik.test", "Adam", Role.ADMIN),
    )
    first_line.members.add(people.fiona, people.mia, people.rita)
    second_line.members.add(people.sam, people.mia, people.rita)
    first_line.lead = people.fiona
    first_line.save()
    second_line.lead = people.sam
    second_line.save()
    return people
