from __future__ import annotations

from collections import Counter
from datetime import time, timedelta

import pytest

from otklik.accounts.models import Role
from otklik.automation.assignment import assignee_apply, pick_round_robin
from otklik.automation.models import AgentAvailability, AssigneeStrategy, AssignmentRule, TeamRouting
from otklik.notifications import topics
from otklik.notifications.models import Notification
from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.models import Source, Ticket


def rule(name, order=100, *, categories=(), priorities=(), request_types=(), organizations=(), watchers=(),
         **fields):
    created = AssignmentRule.objects.create(name=name, order=order, **fields)
    created.categories.set(categories)
    created.priorities.set(priorities)
    created.request_types.set(request_types)
    created.organizations.set(organizations)
    created.add_watchers.set(watchers)
    return created


def fresh(ticket):
    return Ticket.objects.select_related("team", "assignee", "priority").get(pk=ticket.pk)


def test_first_matching_rule_wins_in_order(people, now):
    rule("Everything to the second line", order=20, set_team=people.second_line)
    rule("Email to the first line", order=10, sources=[Source.EMAIL], set_team=people.first_line,
         assignee_strategy=AssigneeStrategy.PERSON, assignee=people.fiona)

    by_email = fresh(factories.ticket(requester=people.alice, source=Source.EMAIL, now=now))
    by_web = fresh(factories.ticket(requester=people.alice, source=Source.WEB, now=now))

    assert (by_email.team, by_email.assignee) == (people.first_line, people.fiona)
    assert (by_web.team, by_web.assignee) == (people.second_line, None)


def test_category_condition_includes_subcategories_only_when_asked(people, now):
    hardware = factories.category("Hardware")
    printers = factories.category("Printers", parent=hardware)
    rule("Hardware tree", order=10, categories=[hardware], set_team=people.second_line)
    rule("Hardware itself", order=5, categories=[hardware], include_subcategories=False, set_team=people.first_line)

    printer_ticket = fresh(factories.ticket(requester=people.alice, category=printers, now=now))
    hardware_ticket = fresh(factories.ticket(requester=people.alice, category=hardware, now=now))
    other = fresh(factories.ticket(requester=people.alice, now=now))

    assert printer_ticket.team == people.second_line
    assert hardware_ticket.team == people.first_line
    assert other.team is None


def test_conditions_on_priority_organization_request_type_and_fields(people, now):
    access_type = factories.request_type("access", category=None)
    access_type.fields.create(code="system", label="System", kind="choice", choices=["VPN", "1C"])
    critical = factories.priority("critical")
    rule("VPN access of org A", order=10, request_types=[access_type], organizations=[people.org_a],
         field_values={"system": ["VPN"]}, set_team=people.second_line)
    rule("Critical to Sam", order=20, priorities=[critical], assignee_strategy=AssigneeStrategy.PERSON,
         assignee=people.sam)

    vpn_a = fresh(factories.ticket(requester=people.alice, request_type=access_type, fields={"system": "VPN"},
                                   now=now))
    vpn_b = fresh(factories.ticket(requester=people.carol, request_type=access_type, fields={"system": "VPN"},
                                   now=now))
    one_c = fresh(factories.ticket(requester=people.alice, request_type=access_type, fields={"system": "1C"},
                                   now=now))
    urgent = fresh(factories.ticket(requester=people.carol, priority=critical, actor=people.fiona, now=now))

    assert vpn_a.team == people.second_line
    assert vpn_b.team is None and one_c.team is None
    assert urgent.assignee == people.sam


def test_time_of_day_window_across_midnight(people, now):
    # Europe/Moscow is UTC+3: the fixture's 09:00 UTC is 12:00 local.
    rule("Night shift", order=10, time_from=time(20, 0), time_to=time(8, 0), set_team=people.second_line)

    day = fresh(factories.ticket(requester=people.alice, now=now))
    night = fresh(factories.ticket(requester=people.alice, now=now.replace(hour=22)))  # 01:00 local

    assert day.team is None
    assert night.team == people.second_line


def test_mailbox_condition_routes_by_the_address_the_request_arrived_at(people, now):
    from otklik.tickets.inbound import InboundMessage

    rule("Billing mailbox", order=10, mailboxes="Billing@Example.com\n", set_team=people.second_line)
    other = services.ticket_ingest(inbound=InboundMessage(
        sender_email="alice@a.example", channel=Source.EMAIL, subject="Hello", body_text="x",
        external_id="<a1@a.example>", mailbox="help@example.com"), now=now).ticket
    billing = services.ticket_ingest(inbound=InboundMessage(
        sender_email="alice@a.example", channel=Source.EMAIL, subject="Invoice", body_text="y",
        external_id="<a2@a.example>", mailbox="billing@example.com"), now=now).ticket
    assert fresh(other).team is None
    assert fresh(billing).team == people.second_line
    assert billing.events.get(kind="created").data["mailbox"] == "billing@example.com"


def test_rule_adds_watchers_and_sets_priority(people, now):
    high = factories.priority("high")
    rule("Watch org A", organizations=[people.org_a], set_priority=high, watchers=[people.mia])

    ticket = fresh(factories.ticket(requester=people.alice, now=now))

    assert ticket.priority == high
    assert list(ticket.watchers.all()) == [people.mia]


def test_round_robin_is_fair_over_a_thousand_tickets(people, agents, now):
    # The tickets are written directly (fast); each is then assigned through the strategy and the ticket
    # service, exactly as a rule does it.
    team_agents = [people.fiona, *agents]
    template = factories.ticket(requester=people.alice, now=now)
    Ticket.objects.bulk_create([
        Ticket(number=1000 + number, subject=f"Request {number}", requester=people.alice,
               priority=template.priority, status=template.status, created_at=now, updated_at=now)
        for number in range(999)
    ])

    for ticket in Ticket.objects.order_by("pk"):
        assignee_apply(ticket=ticket, strategy=AssigneeStrategy.ROUND_ROBIN, person=None, team=people.first_line,
                       now=now, reason_key="test", keep_team_member=False)

    counts = Counter(Ticket.objects.values_list("assignee_id", flat=True))
    assert set(counts) == {agent.pk for agent in team_agents}  # Mia (manager) and Rita (auditor) get none
    assert sorted(counts.values()) == [250, 250, 250, 250]


def test_round_robin_rule_spreads_new_tickets_evenly(people, agents, now):
    rule("First line round robin", set_team=people.first_line, assignee_strategy=AssigneeStrategy.ROUND_ROBIN)
    for number in range(40):
        factories.ticket(requester=people.alice, subject=f"Request {number}", now=now + timedelta(seconds=number))
    counts = Counter(Ticket.objects.values_list("assignee_id", flat=True))
    assert sorted(counts.values()) == [10, 10, 10, 10]


def test_round_robin_skips_away_members_and_resumes(people, agents, now):
    AgentAvailability.objects.create(user=agents[0], is_away=True, away_until=now + timedelta(hours=1))
    picked = [pick_round_robin(people.first_line, at=now) for _ in range(6)]
    assert agents[0] not in picked
    assert Counter(picked) == {people.fiona: 2, agents[1]: 2, agents[2]: 2}

    later = [pick_round_robin(people.first_line, at=now + timedelta(hours=2)) for _ in range(4)]
    assert set(later) == {people.fiona, *agents}


def test_least_loaded_weighs_priority_and_respects_availability(people, agents, now):
    olga, ivan, grace = agents
    critical, low = factories.priority("critical"), factories.priority("low")
    for assignee, priority in ((people.fiona, low), (people.fiona, low), (olga, critical)):
        ticket = factories.ticket(requester=people.alice, priority=priority, actor=people.mia, now=now)
        changes.ticket_assign(actor=people.mia, ticket_id=ticket.pk, assignee=assignee, now=now)
    # Ivan is away; Grace works only on weekends (the fixture's day is a Monday).
    AgentAvailability.objects.create(user=ivan, is_away=True)
    AgentAvailability.objects.create(user=grace, weekly_hours={
        "mon": "off", "tue": "off", "wed": "off", "thu": "off", "fri": "off", "sat": "24h", "sun": "24h"})
    rule("Least loaded", set_team=people.first_line, assignee_strategy=AssigneeStrategy.LEAST_LOADED)

    ticket = fresh(factories.ticket(requester=people.bob, now=now))

    # Fiona: two low tickets (weight 10 + 10) beats Olga's one critical (weight 40).
    assert ticket.assignee == people.fiona


def test_named_person_and_default_responsible_fallbacks(people, agents, now):
    for agent in [people.fiona, *agents]:
        AgentAvailability.objects.create(user=agent, is_away=True)
    TeamRouting.objects.create(team=people.first_line, default_assignee=people.mia)
    rule("Round robin", set_team=people.first_line, assignee_strategy=AssigneeStrategy.ROUND_ROBIN)

    ticket = fresh(factories.ticket(requester=people.alice, now=now))

    assert ticket.assignee == people.mia


def test_nobody_available_notifies_team_lead_and_admins(people, agents, now):
    for agent in [people.fiona, *agents]:
        AgentAvailability.objects.create(user=agent, is_away=True)
    rule("Round robin", set_team=people.first_line, assignee_strategy=AssigneeStrategy.ROUND_ROBIN)

    ticket = fresh(factories.ticket(requester=people.alice, now=now))

    assert ticket.assignee is None and ticket.team == people.first_line
    notified = Notification.objects.filter(topic=topics.LEAD_NO_ASSIGNEE_FOUND, ticket=ticket)
    assert set(notified.values_list("recipient__email", flat=True)) == {"fiona@otklik.test", "adam@otklik.test"}


def test_rules_run_again_when_category_changes(people, agents, now):
    network = factories.category("Network")
    rule("Network to Sam", order=10, categories=[network], set_team=people.second_line,
         assignee_strategy=AssigneeStrategy.LEAST_LOADED)
    rule("Email to first line", order=20, sources=[Source.EMAIL], run_on_change=False,
         set_team=people.first_line, assignee_strategy=AssigneeStrategy.ROUND_ROBIN)
    ticket = fresh(factories.ticket(requester=people.alice, source=Source.EMAIL, now=now))
    assert ticket.team == people.first_line and ticket.assignee in {people.fiona, *agents}
    first_assignee = ticket.assignee

    changes.ticket_change_category(actor=ticket.assignee, ticket_id=ticket.pk, category=network,
                                    now=now + timedelta(minutes=5))

    ticket = fresh(ticket)
    assert (ticket.team, ticket.assignee) == (people.second_line, people.sam)
    kinds = list(ticket.events.values_list("kind", "actor_id"))
    assert ("team_changed", None) in kinds and ("assigned", None) in kinds
    assert first_assignee != people.sam


def test_rerun_keeps_an_assignee_who_already_belongs_to_the_team(people, agents, now):
    high = factories.priority("high")
    rule("First line", set_team=people.first_line, assignee_strategy=AssigneeStrategy.ROUND_ROBIN)
    ticket = fresh(factories.ticket(requester=people.alice, now=now))
    changes.ticket_assign(actor=people.mia, ticket_id=ticket.pk, assignee=agents[2], now=now)

    changes.ticket_change_priority(actor=people.mia, ticket_id=ticket.pk, priority=high, now=now)

    assert fresh(ticket).assignee == agents[2]


def test_a_rules_own_changes_do_not_rerun_rules(people, now):
    high, critical = factories.priority("high"), factories.priority("critical")
    # Would ping-pong between high and critical if rule changes re-ran rules.
    rule("High becomes critical", order=10, priorities=[high], set_priority=critical)
    rule("Critical becomes high", order=20, priorities=[critical], set_priority=high)

    ticket = fresh(factories.ticket(requester=people.alice, priority=high, actor=people.fiona, now=now))

    assert ticket.priority == critical
    assert ticket.events.filter(kind="priority_changed").count() == 1


def test_inactive_agent_as_named_person_is_not_assigned(people, now):
    gone = factories.user(Role.AGENT, is_active=False)
    rule("To a former colleague", assignee_strategy=AssigneeStrategy.PERSON, assignee=gone)
    ticket = fresh(factories.ticket(requester=people.alice, now=now))
    assert ticket.assignee is None
    assert Notification.objects.filter(topic=topics.LEAD_NO_ASSIGNEE_FOUND, ticket=ticket).exists()


@pytest.mark.parametrize("strategy", [AssigneeStrategy.ROUND_ROBIN, AssigneeStrategy.LEAST_LOADED])
def test_strategies_never_pick_auditors_or_requesters(people, now, strategy):
    people.first_line.members.add(people.alice)
    rule("Pick", set_team=people.first_line, assignee_strategy=strategy)
    assignees = {fresh(factories.ticket(requester=people.bob, now=now)).assignee for _ in range(4)}
    assert assignees == {people.fiona}
