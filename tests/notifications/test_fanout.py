from __future__ import annotations

from datetime import timedelta

from django.core import mail

from otklik.accounts.models import Role
from otklik.notifications import topics
from otklik.notifications.models import Notification, NotificationPreference, NotificationTemplate
from otklik.notifications.services import notify_direct
from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.models import Source, TicketEvent


def recipients(topic):
    return set(Notification.objects.filter(topic=topic).values_list("recipient__first_name", flat=True))


def to(messages, address):
    return [message for message in messages if address in message.to or address in message.cc]


def test_requester_hears_received_and_gets_the_agents_reply_once(people, now, committed):
    created = committed(lambda: factories.ticket(requester=people.alice, subject="VPN is down", now=now))
    ticket = created.result
    assert [m.subject for m in to(created.mails, "alice@a.example")] == [
        "[#1] We received your request: VPN is down"]

    replied = committed(lambda: services.ticket_reply(
        actor=people.fiona, ticket_id=ticket.pk, body_text="Please restart the client.", now=now))

    to_alice = to(replied.mails, "alice@a.example")
    # One mail: the threaded reply (the email channel's and ours share a key); no "status: open" notice.
    assert len(to_alice) == 1
    assert "Please restart the client." in to_alice[0].body
    assert "Auto-Submitted" not in to_alice[0].extra_headers
    assert recipients(topics.REQUESTER_REPLIED) == {"Alice"}  # and in the bell
    assert recipients(topics.REQUESTER_STATUS_CHANGED) == set()


def test_email_requests_are_acknowledged_by_the_email_channel_not_twice(people, now, committed):
    created = committed(lambda: factories.ticket(requester=people.alice, source=Source.EMAIL, now=now))
    assert to(created.mails, "alice@a.example") == []
    assert recipients(topics.REQUESTER_RECEIVED) == {"Alice"}  # the bell still shows it


def test_internal_notes_never_reach_requesters_in_any_channel(people, now, committed, deliver):
    ticket = factories.ticket(requester=people.alice, now=now, watchers=[people.bob, people.mia])
    changes.ticket_assign(actor=people.mia, ticket_id=ticket.pk, assignee=people.sam, now=now)
    deliver()

    noted = committed(lambda: services.ticket_add_note(
        actor=people.fiona, ticket_id=ticket.pk, body_text="Secret: the CFO's laptop", now=now))

    assert recipients(topics.STAFF_NOTE_ADDED) == {"Sam", "Mia"}
    assert {address for message in noted.mails for address in message.to} == {"sam@otklik.test", "mia@otklik.test"}
    assert all("Secret" in message.body for message in noted.mails)  # staff do get the text
    for requester in (people.alice, people.bob):
        for notification in Notification.objects.filter(recipient=requester):
            assert "Secret" not in notification.body + notification.title
    for message in mail.outbox:
        if set(message.to + message.cc) & {"alice@a.example", "bob@a.example"}:
            assert "Secret" not in message.body


def test_requester_watcher_gets_public_replies_but_never_note_text(people, now, committed, deliver):
    ticket = factories.ticket(requester=people.alice, now=now, watchers=[people.bob])
    deliver()
    replied = committed(lambda: services.ticket_reply(
        actor=people.fiona, ticket_id=ticket.pk, body_text="Public answer", now=now))
    committed(lambda: services.ticket_add_note(
        actor=people.fiona, ticket_id=ticket.pk, body_text="Private remark", now=now))

    to_bob = to(replied.mails, "bob@a.example")
    assert len(to_bob) == 1 and "Public answer" in to_bob[0].body  # Cc of the threaded reply
    bell = "".join(Notification.objects.filter(recipient=people.bob).values_list("body", flat=True))
    assert "Public answer" in bell and "Private remark" not in bell


def test_status_in_plain_words_clarification_and_resolution_with_rating_link(people, now, committed, deliver):
    ticket = factories.ticket(requester=people.alice, subject="Printer", now=now)
    deliver()

    sent = committed(lambda: (
        changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk,
                                      status=factories.status("needs_clarification"), now=now),
        changes.ticket_change_status(actor=people.fiona, ticket_id=ticket.pk, status=factories.status("paused"),
                                      now=now),
        changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=now),
    )).mails

    assert [message.subject for message in to(sent, "alice@a.example")] == [
        "[#1] We need more information: Printer",
        "[#1] Your request is paused for now; we will come back to it",
        "[#1] Your request has been resolved",
    ]
    # The rating link is Alice's personal, password-less link to ticket #1.
    import re

    from django.urls import resolve

    from otklik.web.links import Grant, read_token

    link = re.search(r"https?://\S+?(/r/\S+)#rate", to(sent, "alice@a.example")[2].body)
    assert link is not None
    match = resolve(link.group(1))
    assert match.url_name == "ticket_link"
    assert read_token(match.kwargs["token"]) == Grant(ticket_id=ticket.pk, user_id=people.alice.pk)


def test_requester_is_not_told_about_their_own_actions(people, now, committed, deliver):
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_resolve(actor=people.fiona, ticket_id=ticket.pk, now=now)
    deliver()

    sent = committed(lambda: services.ticket_reply(
        actor=people.alice, ticket_id=ticket.pk, body_text="Still broken", now=now)).mails

    assert to(sent, "alice@a.example") == []


def test_assignee_hears_assignment_and_requester_reply_previous_assignee_hears_reassignment(
    people, now, deliver
):
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_assign(actor=people.mia, ticket_id=ticket.pk, assignee=people.fiona, now=now)
    deliver()
    services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="More details here", now=now)
    sent = deliver()
    changes.ticket_assign(actor=people.mia, ticket_id=ticket.pk, assignee=people.sam, now=now)
    deliver()

    assert recipients(topics.ASSIGNEE_ASSIGNED) == {"Fiona", "Sam"}
    assert recipients(topics.ASSIGNEE_REQUESTER_REPLIED) == {"Fiona"}
    assert "More details here" in to(sent, "fiona@otklik.test")[0].body
    assert recipients(topics.PREVIOUS_ASSIGNEE_REASSIGNED) == {"Fiona"}
    assert "it is now with Sam" in Notification.objects.get(topic=topics.PREVIOUS_ASSIGNEE_REASSIGNED).body


def test_self_assignment_is_silent(people, now, deliver):
    ticket = factories.ticket(requester=people.alice, now=now)
    changes.ticket_assign(actor=people.fiona, ticket_id=ticket.pk, assignee=people.fiona, now=now)
    deliver()
    assert recipients(topics.ASSIGNEE_ASSIGNED) == set()


def test_sla_events_reach_assignee_and_team_lead(people, now, deliver):
    ticket = factories.ticket(requester=people.alice, team=people.second_line, actor=people.mia, now=now)
    changes.ticket_assign(actor=people.mia, ticket_id=ticket.pk, assignee=people.mia, now=now)
    deliver()
    # The SLA engine records these (otklik.sla.services._announce): metric codes and ISO instants.
    data = {"metric": "resolution", "due_at": "2026-03-02T12:00:00+00:00"}
    TicketEvent.objects.create(ticket=ticket, kind="sla_warning", created_at=now, data=data)
    TicketEvent.objects.create(ticket=ticket, kind="sla_breached", created_at=now,
                               data={**data, "responsible_user_id": people.adam.pk})
    deliver()

    assert recipients(topics.SLA_WARNING) == {"Mia"}
    assert recipients(topics.SLA_BREACHED) == {"Mia"}
    assert recipients(topics.LEAD_SLA_BREACHED) == {"Sam", "Adam"}  # team lead, policy's responsible person
    breach = Notification.objects.get(topic=topics.LEAD_SLA_BREACHED, recipient=people.sam).body
    assert "resolution deadline 2026-03-02 15:00" in breach  # in plain words, in Moscow time


def test_templates_render_in_the_recipients_language_and_admin_edits_apply(people, now, deliver):
    people.alice.language = "ru"
    people.alice.save()
    NotificationTemplate.objects.filter(topic=topics.REQUESTER_RECEIVED, language="en").update(
        subject="Got it: #{{ ticket_number }}")
    factories.ticket(requester=people.alice, subject="Принтер", now=now)
    factories.ticket(requester=people.bob, subject="Printer", now=now)
    sent = deliver()

    assert to(sent, "alice@a.example")[0].subject == "[#1] Ваша заявка принята: Принтер"
    assert to(sent, "bob@a.example")[0].subject == "Got it: #2 [#2]"  # the email channel adds its tag


def test_a_broken_admin_template_falls_back_to_the_shipped_text(people, now, deliver):
    NotificationTemplate.objects.filter(topic=topics.REQUESTER_RECEIVED, language="en").update(subject="{% if %}")
    factories.ticket(requester=people.bob, subject="Printer", now=now)
    assert to(deliver(), "bob@a.example")[0].subject == "[#1] We received your request: Printer"


def test_preferences_turn_channels_off_per_topic(people, now, deliver):
    NotificationPreference.objects.create(user=people.alice, topic=topics.REQUESTER_RECEIVED, email=False)
    NotificationPreference.objects.create(user=people.bob, topic=topics.REQUESTER_RECEIVED, in_app=False)
    factories.ticket(requester=people.alice, now=now)
    factories.ticket(requester=people.bob, now=now)
    sent = deliver()

    assert to(sent, "alice@a.example") == [] and len(to(sent, "bob@a.example")) == 1
    assert recipients(topics.REQUESTER_RECEIVED) == {"Alice"}


def test_staff_topics_and_invisible_tickets_are_refused(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    report = notify_direct(recipients=[people.carol, people.alice, people.fiona], topic=topics.SLA_BREACHED,
                           ticket=ticket, key="test", now=now)
    assert report.refused == 2  # Carol may not see the ticket, Alice is not staff
    assert recipients(topics.SLA_BREACHED) == {"Fiona"}


def test_inactive_people_are_not_notified(people, now, deliver):
    ticket = factories.ticket(requester=people.alice, now=now)
    people.alice.is_active = False  # she leaves the company; her ticket is still worked on
    people.alice.save()
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="Done on our side.", now=now)
    assert to(deliver(), "alice@a.example") == []


def test_events_from_before_a_long_outage_are_not_notified(people, now, deliver):
    factories.ticket(requester=people.alice, now=now - timedelta(days=4))
    assert deliver() == []
    assert not Notification.objects.exists()


def test_notify_direct_is_once_per_key(people, now, committed):
    manager = factories.user(Role.MANAGER, first_name="Max")
    for _ in range(2):
        committed(lambda: notify_direct(recipients=[manager], topic=topics.AUTOMATION_NOTICE, ticket=None,
                                        key="k1", now=now, extra={"custom_subject": "Hello", "custom_body": "B"}))
    assert Notification.objects.filter(recipient=manager).count() == 1
    assert len(to(mail.outbox, manager.email)) == 1
