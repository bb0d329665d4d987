"""The shared scene of the access matrix: the personas of DESIGN.md, four tickets, and the truth about
who may see what, written down from the rules of issue 6 (not derived from access.py).

Tickets (org A shares tickets among its members, org B does not):
- alice_first:     Alice's request, handled by the first line.
- bob_second:      Bob's request, handled by the second line.
- carol_unrouted:  Carol's request, not routed to any team yet (waits in the first line's queue).
- sam_asks_first:  second-line agent Sam asks the first line for help: Sam is its requester only.

Beside the personas of DESIGN.md, three people who broke the matrix once (issue 11):
- sam is also "an agent who is a ticket's requester" (sam_asks_first);
- otto, a first-line agent who "sees only tickets assigned to them", watches alice_first (added after its
  note was written) and is assigned nothing: he follows its public side only;
- gina, an agent of another team (Billing), sees none of these tickets.

Each ticket carries a public staff reply and an internal note, each with a file, a public custom field
and an internal-only one; every piece has a unique marker so any channel's output can be searched.
Other suites (tests/api, ...) import this module to extend the matrix to their channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from otklik.accounts.models import Role, Team, TeamKind, User
from otklik.testing.personas import PASSWORD, Personas
from otklik.tickets import changes, services
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import Attachment, CustomField, Message, RequestType, Ticket

PERSONAS = ("alice", "bob", "carol", "fiona", "sam", "mia", "rita", "adam", "otto", "gina")
TICKETS = ("alice_first", "bob_second", "carol_unrouted", "sam_asks_first")
ALL = frozenset(TICKETS)


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"  # sees the ticket, may not do this: PermissionDenied / 403
    HIDDEN = "hidden"  # may not see the ticket: NotFound / 404, the same as for a ticket that does not exist


# Who sees which ticket at all.
VISIBLE: dict[str, frozenset[str]] = {
    "alice": frozenset({"alice_first", "bob_second"}),  # own + org A shares
    "bob": frozenset({"alice_first", "bob_second"}),
    "carol": frozenset({"carol_unrouted"}),  # org B: only her own
    "fiona": frozenset({"alice_first", "carol_unrouted", "sam_asks_first"}),  # first line + unrouted
    "sam": frozenset({"bob_second", "sam_asks_first"}),  # second line + his own request
    "mia": ALL,  # manager of both lines
    "rita": ALL,  # auditor of both lines
    "adam": ALL,  # admin
    "otto": frozenset({"alice_first"}),  # watches it; sees nothing else (only assigned to him)
    "gina": frozenset(),  # another team's agent
}

# Who sees a ticket as staff (internal notes, internal-only fields, agent-only files).
HANDLED: dict[str, frozenset[str]] = {
    "alice": frozenset(),
    "bob": frozenset(),
    "carol": frozenset(),
    "fiona": frozenset({"alice_first", "carol_unrouted", "sam_asks_first"}),
    "sam": frozenset({"bob_second"}),  # not his own request: there he is a requester
    "mia": ALL,
    "rita": ALL,
    "adam": ALL,
    "otto": frozenset(),  # watching is not handling for an only-assigned agent
    "gina": frozenset(),
}

REQUESTER_OF: dict[str, str] = {
    "alice_first": "alice", "bob_second": "bob", "carol_unrouted": "carol", "sam_asks_first": "sam",
}

# Who watches which ticket: watchers share the requester's own actions (close, reopen, rate).
WATCHING: dict[str, frozenset[str]] = {"otto": frozenset({"alice_first"})}

STAFF_WRITERS = frozenset({"fiona", "sam", "mia", "adam", "otto", "gina"})
READ_ONLY = frozenset({"rita"})

# Actions a requester may take on their own request (or one they watch); colleagues who see it through
# organization sharing may only read and reply.
OWNER_ACTIONS = frozenset({"close", "reopen", "rate"})
SHARED_ACTIONS = frozenset({"reply"})


def expected(action: str, persona: str, ticket: str) -> Outcome:
    """What the rules of issue 6 say about `persona` doing `action` on `ticket`."""
    if ticket not in VISIBLE[persona]:
        return Outcome.HIDDEN
    if persona in READ_ONLY:
        return Outcome.DENIED
    owns = REQUESTER_OF[ticket] == persona or ticket in WATCHING.get(persona, frozenset())
    if action == "rate":
        # Only the person who asked (or watches with them) rates the answer.
        return Outcome.ALLOWED if owns else Outcome.DENIED
    if persona in STAFF_WRITERS and ticket in HANDLED[persona]:
        return Outcome.ALLOWED
    if action in OWNER_ACTIONS and owns:
        return Outcome.ALLOWED
    if action in SHARED_ACTIONS:
        return Outcome.ALLOWED
    return Outcome.DENIED


def public_marker(ticket: str) -> str:
    return f"PUBLIC-REPLY-{ticket}"


def internal_marker(ticket: str) -> str:
    return f"INTERNAL-NOTE-{ticket}"


def public_field_marker(ticket: str) -> str:
    return f"PUBLIC-FIELD-{ticket}"


def internal_field_marker(ticket: str) -> str:
    return f"INTERNAL-FIELD-{ticket}"


def public_file_name(ticket: str) -> str:
    return f"public-file-{ticket}.txt"


def internal_file_name(ticket: str) -> str:
    return f"internal-file-{ticket}.txt"


@dataclass
class World:
    people: Personas
    request_type: RequestType
    more_people: dict[str, User] = field(default_factory=dict)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    replies: dict[str, Message] = field(default_factory=dict)
    notes: dict[str, Message] = field(default_factory=dict)
    public_files: dict[str, Attachment] = field(default_factory=dict)
    internal_files: dict[str, Attachment] = field(default_factory=dict)

    def user(self, persona: str) -> User:
        user: User = self.more_people[persona] if persona in self.more_people else getattr(self.people, persona)
        user.refresh_from_db()
        return user

    def ticket(self, key: str) -> Ticket:
        return Ticket.objects.get(pk=self.tickets[key].pk)


def _extra_personas(people: Personas) -> dict[str, User]:
    otto = User.objects.create_user(
        email="otto@otklik.test", password=PASSWORD, first_name="Otto", role=Role.AGENT, only_assigned_to_me=True,
    )
    people.first_line.members.add(otto)
    billing = Team.objects.create(name="Billing", kind=TeamKind.SECOND_LINE)
    gina = User.objects.create_user(email="gina@otklik.test", password=PASSWORD, first_name="Gina", role=Role.AGENT)
    billing.members.add(gina)
    return {"otto": otto, "gina": gina}


def build_world(people: Personas, now: datetime, *, with_files: bool = True) -> World:
    people.org_a.shares_tickets = True
    people.org_a.save()
    request_type = RequestType.objects.create(code="hardware", name="Hardware")
    CustomField.objects.create(request_type=request_type, code="asset", label="Asset")
    CustomField.objects.create(request_type=request_type, code="cost_centre", label="Cost centre", internal_only=True)
    world = World(people=people, request_type=request_type, more_people=_extra_personas(people))
    plan = {
        "alice_first": (people.alice, people.first_line, people.fiona),
        "bob_second": (people.bob, people.second_line, people.sam),
        "carol_unrouted": (people.carol, None, people.fiona),
        "sam_asks_first": (people.sam, people.first_line, people.fiona),
    }
    for key, (requester, team, agent) in plan.items():
        ticket = services._ticket_create(  # set-up: routed as a channel would
            actor=requester, requester=requester, subject=f"Subject of {key}", body_text=f"Question in {key}",
            request_type=request_type, fields={"asset": public_field_marker(key)}, team=team, now=now,
        )
        changes.ticket_set_fields(
            actor=None, ticket_id=ticket.pk, values={"cost_centre": internal_field_marker(key)}, now=now
        )
        public_files = (InboundAttachment(public_file_name(key), b"public bytes", "text/plain"),) if with_files else ()
        internal_files = (
            (InboundAttachment(internal_file_name(key), b"internal bytes", "text/plain"),) if with_files else ()
        )
        world.replies[key] = services.ticket_reply(
            actor=agent, ticket_id=ticket.pk, body_text=public_marker(key), attachments=public_files, now=now
        )
        world.notes[key] = services.ticket_add_note(
            actor=agent, ticket_id=ticket.pk, body_text=internal_marker(key), attachments=internal_files, now=now
        )
        if key == "alice_first":
            # Otto starts watching after the note was written: its words stay out of his reach too.
            services.ticket_watch(actor=None, ticket_id=ticket.pk, user_id=world.more_people["otto"].pk, now=now)
        world.tickets[key] = Ticket.objects.get(pk=ticket.pk)
        if with_files:
            world.public_files[key] = world.replies[key].attachments.get()
            world.internal_files[key] = world.notes[key].attachments.get()
    return world
