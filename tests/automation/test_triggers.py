from __future__ import annotations

from datetime import timedelta
from typing import Any

from otklik.automation.models import (
    AssigneeState,
    AutomationSettings,
    CannedReply,
    NotifyRole,
    Trigger,
    TriggerEvent,
    TriggerOrigin,
    TriggerRun,
)
from otklik.automation.triggers import trigger_preview, triggers_process
from otklik.notifications import topics
from otklik.notifications.models import Notification
from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.models import Message, Source, Ticket


def trigger(name, event, order=100, *, statuses=(), teams=(), categories=(), priorities=(), **fields):
    created = Trigger.objects.create(name=name, event=event, order=order, **fields)
    created.statuses.set(statuses)
    created.teams.set(teams)
    created.categories.set(categories)
    created.priorities.set(priorities)
    return created


def fresh(ticket):
    return Ticket.objects.select_related("status", "priority", "team", "assignee").get(pk=ticket.pk)


def test_trigger_fires_on_its_event_when_conditions_hold(people, now):
    critical = factories.priority("critical")
    trigger("Critical email to second line", TriggerEvent.CREATED, sources=[Source.EMAIL], set_team=people.second_line,
            set_priority=critical)
    by_email = factories.ticket(requester=people.alice, source=Source.EMAIL, now=now)
    by_web = factories.ticket(requester=people.alice, source=Source.WEB, now=now)

    triggers_process(now=now)

    assert (fresh(by_email).team, fresh(by_email).priority) == (people.second_line, critical)
    assert fresh(by_web).team is None
    assert TriggerRun.objects.get().outcome == "priority; team"


def test_requester_and_agent_replies_are_distinct_events(people, now):
    waiting = factories.status("needs_clarification")
    trigger("Agent asked a question", TriggerEvent.REPLIED_BY_AGENT, set_status=waiting)
    trigger("Requester answered: back to the assignee", TriggerEvent.REPLIED_BY_REQUESTER,
            notify_roles=[NotifyRole.ASSIGNEE], notify_subject="#{{ ticket_number }} answered",
            notify_body="The requester answered.")
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_assign(actor=people.mia, ticket_id=ticket.pk, assignee=people.fiona, now=now)
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="Which printer?", now=now)
    triggers_process(now=now)
    assert fresh(ticket).status == waiting

    services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="The one on floor 2",
                          now=now + timedelta(minutes=1))
    triggers_process(now=now)

    notice = Notification.objects.get(topic=topics.AUTOMATION_NOTICE)
    assert (notice.recipient, notice.title) == (people.fiona, "#1 answered")
    assert fresh(ticket).status.kind == "open"  # the core reopened it; the agent trigger did not fire again


def test_two_triggers_that_undo_each_other_cannot_loop(people, now):
    open_status, waiting = factories.status("open"), factories.status("needs_clarification")
    ping = trigger("Ping", TriggerEvent.STATUS_CHANGED, statuses=[open_status], set_status=waiting)
    pong = trigger("Pong", TriggerEvent.STATUS_CHANGED, statuses=[waiting], set_status=open_status)
    ticket = factories.ticket(requester=people.alice, now=now)

    changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=open_status, now=now)
    for _ in range(5):
        triggers_process(now=now)

    # Both saw the agent's change (in order, each seeing the ticket as the previous one left it) and
    # fired once; the status changes they made themselves fired nothing, however often the worker runs.
    assert list(TriggerRun.objects.order_by("pk").values_list("trigger", flat=True)) == [ping.pk, pong.pk]
    assert fresh(ticket).status == open_status
    assert TriggerOrigin.objects.filter(trigger=ping, event__kind="status_changed").count() == 1
    assert TriggerOrigin.objects.filter(trigger=pong, event__kind="status_changed").count() == 1


def test_a_trigger_fires_once_per_event_however_often_the_worker_runs(people, now):
    trigger("Note on creation", TriggerEvent.CREATED, add_note="Checked by automation")
    ticket = factories.ticket(requester=people.alice, now=now)
    triggers_process(now=now)
    triggers_process(now=now)
    assert Message.objects.filter(ticket=ticket, is_internal=True).count() == 1


def test_a_triggers_change_reruns_assignment_rules(people, now):
    from otklik.automation.models import AssigneeStrategy, AssignmentRule

    critical = factories.priority("critical")
    rule = AssignmentRule.objects.create(name="Critical to Sam", set_team=people.second_line,
                                         assignee_strategy=AssigneeStrategy.PERSON, assignee=people.sam)
    rule.priorities.set([critical])
    trigger("Email from org A is critical", TriggerEvent.CREATED, sources=[Source.EMAIL], set_priority=critical)
    trigger("Never fires on trigger-made changes", TriggerEvent.UPDATED, add_note="should not appear")
    ticket = factories.ticket(requester=people.alice, source=Source.EMAIL, now=now)

    triggers_process(now=now)

    assert (fresh(ticket).priority, fresh(ticket).team, fresh(ticket).assignee) == (
        critical, people.second_line, people.sam)
    assert not Message.objects.filter(ticket=ticket, is_internal=True).exists()


def test_auto_reply_is_sent_as_the_automation_account_in_the_requesters_language(people, now):
    people.alice.language = "ru"
    people.alice.save()
    AutomationSettings.objects.create(pk=1, automation_user=people.adam)
    reply = CannedReply.objects.create(title="Got it", body="We got #{{ ticket_number }}.",
                                     body_ru="Заявка №{{ ticket_number }} получена.")
    trigger("Acknowledge", TriggerEvent.CREATED, send_reply=reply)
    ticket = factories.ticket(requester=people.alice, now=now)

    triggers_process(now=now)

    sent = Message.objects.filter(ticket=ticket, author=people.adam).get()
    assert (sent.is_internal, sent.body_text) == (False, "Заявка №1 получена.")


def test_auto_reply_without_an_automation_account_is_skipped_and_logged(people, now):
    reply = CannedReply.objects.create(title="Got it", body="We got it.")
    trigger("Acknowledge", TriggerEvent.CREATED, send_reply=reply)
    factories.ticket(requester=people.alice, now=now)
    triggers_process(now=now)
    assert "no staff automation account" in TriggerRun.objects.get().outcome
    assert Message.objects.count() == 1


def test_refused_actions_are_recorded_and_the_rest_still_run(people, now):
    inactive = factories.status("open")
    inactive.is_active = False
    inactive.save()
    trigger("Half broken", TriggerEvent.CREATED, set_status=inactive, add_note="still noted")
    ticket = factories.ticket(requester=people.alice, now=now)
    triggers_process(now=now)
    outcome = TriggerRun.objects.get().outcome
    assert "status: refused" in outcome and "note" in outcome
    assert Message.objects.filter(ticket=ticket, is_internal=True).exists()


def test_sla_breach_trigger_escalates_priority(people, now):
    from otklik.tickets.models import TicketEvent

    critical = factories.priority("critical")
    trigger("Breach makes it critical", TriggerEvent.SLA_BREACHED, set_priority=critical,
            notify_roles=[NotifyRole.TEAM_LEAD], notify_subject="Breach on #{{ ticket_number }}")
    ticket = factories.ticket(requester=people.alice, team=people.first_line, actor=people.fiona, now=now)
    TicketEvent.objects.create(ticket=ticket, kind="sla_breached", created_at=now, data={"target": "resolution"})
    triggers_process(now=now)
    assert fresh(ticket).priority == critical
    assert Notification.objects.get(topic=topics.AUTOMATION_NOTICE).recipient == people.fiona


def test_preview_lists_existing_tickets_the_viewer_may_see_that_match(people, now):
    high = factories.priority("high")
    matching = factories.ticket(requester=people.alice, priority=high, actor=people.fiona, team=people.second_line,
                                now=now)
    factories.ticket(requester=people.alice, now=now)  # normal priority: no match
    hidden = factories.ticket(requester=people.carol, priority=high, actor=people.fiona, team=people.second_line,
                              now=now)
    check = trigger("High ones", TriggerEvent.UPDATED, priorities=[high])

    as_admin = trigger_preview(people.adam, check)
    as_alice = trigger_preview(people.alice, check)

    assert {ticket.pk for ticket in as_admin.tickets} == {matching.pk, hidden.pk} and as_admin.matched == 2
    assert [ticket.pk for ticket in as_alice.tickets] == [matching.pk]


def test_preview_and_run_time_matching_agree(people, now):
    """The preview's query and the run-time check are two implementations: they must agree."""
    from otklik.automation.conditions import MatchContext, trigger_matches

    hardware = factories.category("Hardware")
    printers = factories.category("Printers", parent=hardware)
    rt = factories.request_type("printer")
    rt.fields.create(code="room", label="Room", kind="text")
    high = factories.priority("high")
    tickets = [
        factories.ticket(requester=people.alice, category=printers, now=now),
        factories.ticket(requester=people.bob, category=hardware, priority=high, actor=people.fiona, now=now),
        factories.ticket(requester=people.carol, request_type=rt, fields={"room": "101"}, now=now),
        factories.ticket(requester=people.carol, request_type=rt, fields={"room": "202"}, source=Source.EMAIL,
                         now=now),
        factories.ticket(requester=people.alice, now=now),
    ]
    variants: list[dict[str, Any]] = [
        {"categories": [hardware]},
        {"categories": [hardware], "include_subcategories": False},
        {"priorities": [high]},
        {"field_values": {"room": ["101"]}},
        {"sources": [Source.EMAIL], "field_values": {"room": ["101", "202"]}},
        {"organizations": [people.org_b]},
        {"assignee_state": AssigneeState.UNASSIGNED, "statuses": [factories.status("new")]},
    ]
    for number, variant in enumerate(variants):
        organizations = variant.pop("organizations", ())
        check = trigger(f"v{number}", TriggerEvent.UPDATED, **variant)
        check.organizations.set(organizations)
        previewed = {ticket.pk for ticket in trigger_preview(people.adam, check).tickets}
        at_run_time = {ticket.pk for ticket in tickets
                       if trigger_matches(check, fresh(ticket), MatchContext(at=now))}
        assert previewed == at_run_time, variant


def test_the_trigger_events_asked_per_run_follow_a_new_and_a_switched_off_trigger(people, now):
    """The dispatcher asks once per run which events active triggers listen to and skips the others without a
    query (issue #16, round 2); the next run sees a trigger created or switched off in between."""
    critical = factories.priority("critical")
    factories.ticket(requester=people.alice, now=now)
    triggers_process(now=now)  # no trigger yet: nothing listens
    created = trigger("Everything critical", TriggerEvent.CREATED, set_priority=critical)
    ticket = factories.ticket(requester=people.alice, now=now)
    triggers_process(now=now)
    assert fresh(ticket).priority == critical

    created.is_active = False
    created.save()
    later = factories.ticket(requester=people.alice, now=now)
    triggers_process(now=now)
    assert fresh(later).priority != critical
    assert TriggerRun.objects.count() == 1
