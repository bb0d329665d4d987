from __future__ import annotations

from datetime import timedelta

import time_machine

from otklik.automation.models import TimeRule, TimeRuleKind, TimeRuleStep
from otklik.automation.tasks import time_rules_tick
from otklik.automation.timerules import time_rules_run
from otklik.notifications import topics
from otklik.notifications.models import Notification
from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.models import Ticket


def status_kind(ticket):
    return Ticket.objects.get(pk=ticket.pk).status.kind


def test_resolved_ticket_closes_after_n_days_without_an_answer(people, now):
    TimeRule.objects.create(name="Close after 3 days", kind=TimeRuleKind.AUTO_CLOSE_RESOLVED, after_days=3)
    quiet = factories.ticket(requester=people.alice, now=now)
    answered = factories.ticket(requester=people.bob, now=now)
    for ticket in (quiet, answered):
        changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=now)
    services.ticket_reply(actor=people.bob, ticket_id=answered.pk, body_text="Not fixed", now=now + timedelta(days=1))
    changes.ticket_resolve(actor=people.fiona, ticket_id=answered.pk, now=now + timedelta(days=2))

    with time_machine.travel(now + timedelta(days=3) - timedelta(minutes=1), tick=False):
        assert time_rules_tick()
    assert status_kind(quiet) == "resolved"

    with time_machine.travel(now + timedelta(days=3), tick=False):
        assert time_rules_tick()
    assert (status_kind(quiet), status_kind(answered)) == ("closed", "resolved")

    with time_machine.travel(now + timedelta(days=5), tick=False):
        assert time_rules_tick()
    assert status_kind(answered) == "closed"
    closing = Ticket.objects.get(pk=quiet.pk).events.get(kind="closed")
    assert closing.actor is None and closing.created_at == now + timedelta(days=3)


def test_the_periodic_job_runs_once_per_period(people, now):
    TimeRule.objects.create(name="Close", kind=TimeRuleKind.AUTO_CLOSE_RESOLVED, after_days=1)
    with time_machine.travel(now, tick=False):
        assert time_rules_tick() is True
        assert time_rules_tick() is False  # a second scheduler in the same five minutes does nothing
    with time_machine.travel(now + timedelta(minutes=5), tick=False):
        assert time_rules_tick() is True


def test_waiting_for_clarification_reminds_once_then_closes(people, now):
    TimeRule.objects.create(name="Remind after 2 days, close 3 days later", kind=TimeRuleKind.REMIND_THEN_CLOSE,
                            after_days=2, close_after_days=3)
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk,
                                  status=factories.status("needs_clarification"), now=now)

    assert time_rules_run(now=now + timedelta(days=1, hours=23)).reminded == []
    assert time_rules_run(now=now + timedelta(days=2)).reminded == [ticket.pk]
    assert time_rules_run(now=now + timedelta(days=3)).reminded == []  # once per waiting period
    reminders = Notification.objects.filter(topic=topics.REQUESTER_CLARIFICATION_REMINDER, recipient=people.alice)
    assert reminders.count() == 1
    assert time_rules_run(now=now + timedelta(days=4, hours=23)).closed == []
    assert time_rules_run(now=now + timedelta(days=5)).closed == [ticket.pk]
    assert status_kind(ticket) == "closed"


def test_an_answer_starts_a_new_waiting_period(people, now):
    TimeRule.objects.create(name="Remind", kind=TimeRuleKind.REMIND_THEN_CLOSE, after_days=2, close_after_days=2)
    waiting = factories.status("needs_clarification")
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=waiting, now=now)
    time_rules_run(now=now + timedelta(days=2))
    services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="Here it is",
                          now=now + timedelta(days=3))
    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=waiting,
                                  now=now + timedelta(days=3, hours=1))

    report = time_rules_run(now=now + timedelta(days=4, hours=2))
    assert report.closed == [] and report.reminded == []  # the new period is one day old
    assert time_rules_run(now=now + timedelta(days=5, hours=1)).reminded == [ticket.pk]
    assert status_kind(ticket) == "waiting_customer"


def test_unassigned_ticket_is_escalated_to_the_team_lead_once(people, now):
    TimeRule.objects.create(name="Unassigned 30 min", kind=TimeRuleKind.ESCALATE_UNASSIGNED, after_minutes=30)
    ticket = factories.ticket(requester=people.alice, team=people.second_line, actor=people.fiona, now=now)
    unrouted = factories.ticket(requester=people.bob, now=now)

    assert time_rules_run(now=now + timedelta(minutes=29)).escalated == []
    assert sorted(time_rules_run(now=now + timedelta(minutes=30)).escalated) == sorted([ticket.pk, unrouted.pk])
    assert time_rules_run(now=now + timedelta(minutes=90)).escalated == []

    escalations = Notification.objects.filter(topic=topics.LEAD_UNASSIGNED_TOO_LONG)
    assert set(escalations.values_list("recipient__first_name", "ticket_id")) == {
        ("Sam", ticket.pk),  # the second line's lead
        ("Fiona", unrouted.pk),  # unrouted tickets wait in the first line: its lead
    }
    assert "30 minutes" in escalations.get(ticket=ticket).body


def test_losing_the_assignee_starts_a_new_unassigned_episode(people, now):
    TimeRule.objects.create(name="Unassigned 30 min", kind=TimeRuleKind.ESCALATE_UNASSIGNED, after_minutes=30)
    ticket = factories.ticket(requester=people.alice, team=people.second_line, actor=people.fiona, now=now)
    changes.ticket_assign(actor=people.mia, ticket_id=ticket.pk, assignee=people.sam, now=now)
    changes.ticket_assign(actor=people.mia, ticket_id=ticket.pk, assignee=None, now=now + timedelta(hours=2))

    assert time_rules_run(now=now + timedelta(hours=2, minutes=29)).escalated == []
    assert time_rules_run(now=now + timedelta(hours=2, minutes=30)).escalated == [ticket.pk]
    assert TimeRuleStep.objects.get().episode_start == now + timedelta(hours=2)


def test_team_scope_limits_a_rule(people, now):
    rule = TimeRule.objects.create(name="Second line only", kind=TimeRuleKind.ESCALATE_UNASSIGNED, after_minutes=5)
    rule.teams.set([people.second_line])
    in_scope = factories.ticket(requester=people.alice, team=people.second_line, actor=people.fiona, now=now)
    factories.ticket(requester=people.alice, team=people.first_line, actor=people.fiona, now=now)
    assert time_rules_run(now=now + timedelta(hours=1)).escalated == [in_scope.pk]


# Issue 11: each rule selects only what is still due, so tickets handled in earlier runs never fill the
# batch and starve newer ones. The batch is made small here; the rule is the same at 500.


def test_escalation_is_not_starved_by_tickets_already_escalated(people, now, monkeypatch):
    monkeypatch.setattr("otklik.automation.timerules.BATCH_LIMIT", 3)
    TimeRule.objects.create(name="Unassigned 30 min", kind=TimeRuleKind.ESCALATE_UNASSIGNED, after_minutes=30)
    old = [factories.ticket(requester=people.alice, team=people.second_line, actor=people.fiona, now=now)
           for _ in range(3)]
    assert sorted(time_rules_run(now=now + timedelta(minutes=30)).escalated) == sorted(t.pk for t in old)
    newer = factories.ticket(requester=people.bob, team=people.second_line, actor=people.fiona,
                             now=now + timedelta(hours=1))
    assert time_rules_run(now=now + timedelta(hours=2)).escalated == [newer.pk]


def test_reminders_and_closing_are_not_starved_by_handled_tickets(people, now, monkeypatch):
    monkeypatch.setattr("otklik.automation.timerules.BATCH_LIMIT", 2)
    TimeRule.objects.create(name="Remind", kind=TimeRuleKind.REMIND_THEN_CLOSE, after_days=1, close_after_days=10)
    waiting = factories.status("needs_clarification")
    old = []
    for _ in range(2):
        ticket = factories.ticket(requester=people.alice, now=now)
        changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=waiting, now=now)
        old.append(ticket)
    assert sorted(time_rules_run(now=now + timedelta(days=1)).reminded) == sorted(t.pk for t in old)
    newer = factories.ticket(requester=people.bob, now=now)
    changes.ticket_change_status(actor=people.fiona, ticket_id=newer.pk, status=waiting,
                                  now=now + timedelta(hours=1))
    assert time_rules_run(now=now + timedelta(days=2)).reminded == [newer.pk]
    # Three are due and a batch takes two: the next run takes the rest, never the same ticket twice.
    closed = time_rules_run(now=now + timedelta(days=12)).closed + time_rules_run(now=now + timedelta(days=12)).closed
    assert sorted(closed) == sorted([*(t.pk for t in old), newer.pk])


def test_auto_close_is_not_starved_by_answered_tickets(people, now, monkeypatch):
    monkeypatch.setattr("otklik.automation.timerules.BATCH_LIMIT", 2)
    TimeRule.objects.create(name="Close after 1 day", kind=TimeRuleKind.AUTO_CLOSE_RESOLVED, after_days=1)
    for _ in range(2):
        answered = factories.ticket(requester=people.alice, now=now)
        changes.ticket_resolve(actor=people.fiona, ticket_id=answered.pk, now=now)
        services.ticket_reply(actor=people.alice, ticket_id=answered.pk, body_text="Not fixed",
                              now=now + timedelta(minutes=5))
        # The reply reopened it; resolved again, and answered again after that.
        changes.ticket_resolve(actor=people.fiona, ticket_id=answered.pk, now=now + timedelta(minutes=10))
        services.ticket_reply(actor=people.alice, ticket_id=answered.pk, body_text="Still not",
                              now=now + timedelta(minutes=15))
    quiet = factories.ticket(requester=people.bob, now=now)
    changes.ticket_resolve(actor=people.fiona, ticket_id=quiet.pk, now=now + timedelta(hours=1))
    assert time_rules_run(now=now + timedelta(days=2)).closed == [quiet.pk]
