from __future__ import annotations

from datetime import timedelta

import time_machine

from otklik.accounts.models import User
from otklik.automation.demo import mark_history_as_read, seed_demo_automation
from otklik.automation.models import AssignmentRule, ForbiddenWord, TimeRule, Trigger
from otklik.demodata.seed import seed_reference_data
from otklik.notifications.models import OutboxCursor
from otklik.tickets import changes, services
from otklik.tickets.inbound import InboundMessage
from otklik.tickets.models import Category, Source, Ticket, TicketEvent


def test_demo_rules_route_email_to_the_first_line_then_the_category_to_a_specialist(db, now):
    seed_reference_data()
    seed_demo_automation()
    seed_demo_automation()  # idempotent
    assert AssignmentRule.objects.count() == 5 and Trigger.objects.count() == 2
    assert TimeRule.objects.count() == 3 and ForbiddenWord.objects.count() == 6

    # Monday 12:00 in Moscow: Grace (London hours) is at work too, Anna is away.
    with time_machine.travel(now, tick=False):
        result = services.ticket_ingest(inbound=InboundMessage(
            sender_email="alice@acme.example", channel=Source.EMAIL, subject="Printer on floor 2 jams",
            body_text="It jams on every page.", external_id="<demo-1@acme.example>"), now=now)
    ticket = Ticket.objects.select_related("team", "assignee").get(pk=result.ticket.pk)
    assert ticket.team is not None and ticket.assignee is not None
    first_line = {user.email for user in ticket.team.members.filter(role="agent")}
    assert ticket.team.name == "First line" and ticket.assignee.email in first_line

    printers = Category.objects.get(name="Printers")
    changes.ticket_change_category(actor=ticket.assignee, ticket_id=ticket.pk, category=printers,
                                    now=now + timedelta(minutes=10))

    ticket = Ticket.objects.select_related("team", "assignee").get(pk=ticket.pk)
    assert ticket.team is not None and ticket.assignee is not None
    assert ticket.team.name == "Second line"
    assert ticket.assignee.role == "agent" and ticket.team.members.filter(pk=ticket.assignee.pk).exists()
    assert ticket.assignee.email != "mia@otklik.demo"  # managers do not get automatic assignments


def test_history_can_be_marked_read_so_the_demo_does_not_mail_everyone(db, now):
    seed_reference_data()
    services.ticket_create(actor=None, requester=User.objects.get(email="alice@acme.example"), subject="Old",
                           now=now)
    mark_history_as_read()
    latest_event = TicketEvent.objects.order_by("-pk").first()
    assert latest_event is not None
    latest = latest_event.pk
    assert set(OutboxCursor.objects.values_list("consumer", "position")) >= {
        ("notifications", latest), ("automation.triggers", latest)}
