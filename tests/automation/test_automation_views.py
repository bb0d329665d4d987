from __future__ import annotations

from django.urls import reverse

from otklik.automation.models import AgentAvailability, ForbiddenWord, ForbiddenWordHit, Trigger, TriggerEvent
from otklik.testing import factories
from otklik.testing.personas import PASSWORD
from otklik.tickets import services


def signed_in(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_trigger_preview_is_for_managers_and_admins(client, people, now):
    high = factories.priority("high")
    ticket = factories.ticket(requester=people.alice, priority=high, actor=people.fiona, now=now)
    trigger = Trigger.objects.create(name="High", event=TriggerEvent.UPDATED)
    trigger.priorities.set([high])
    url = reverse("automation:trigger_preview", args=[trigger.pk])

    assert signed_in(client, people.fiona).get(url).status_code == 404
    response = signed_in(client, people.mia).get(url)
    assert response.status_code == 200
    assert f'href="/tickets/{ticket.number}/"' in response.content.decode()
    assert signed_in(client, people.adam).get(reverse("automation:trigger_preview", args=[999])).status_code == 404


def test_forbidden_word_report_lists_hits_on_visible_tickets_only(client, people, now):
    ForbiddenWord.objects.create(phrase="not my problem")
    first = factories.ticket(requester=people.alice, team=people.first_line, actor=people.fiona, now=now)
    second = factories.ticket(requester=people.bob, team=people.second_line, actor=people.sam, now=now)
    services.ticket_reply(actor=people.fiona, ticket_id=first.pk, body_text="Not my problem, sorry", now=now)
    services.ticket_reply(actor=people.sam, ticket_id=second.pk, body_text="not my problem", now=now)
    assert ForbiddenWordHit.objects.count() == 2
    url = reverse("automation:forbidden_report") + "?since=2026-03-01&until=2026-03-02"

    assert signed_in(client, people.fiona).get(url).status_code == 404  # agents do not review quality
    as_admin = signed_in(client, people.adam).get(url).content.decode()
    assert f"#{first.number}" in as_admin and f"#{second.number}" in as_admin
    people.rita.teams.set([people.first_line])
    as_auditor = signed_in(client, people.rita).get(url).content.decode()
    assert f"#{first.number}" in as_auditor and f"#{second.number}" not in as_auditor
    outside = signed_in(client, people.adam).get(reverse("automation:forbidden_report") + "?since=2026-03-03")
    assert f"#{first.number}" not in outside.content.decode()


def test_reply_check_partial_warns_the_agent(client, people):
    ForbiddenWord.objects.create(phrase="ещё раз", note="Be patient.")
    signed_in(client, people.fiona)
    warned = client.post(reverse("automation:reply_check"), {"body_text": "Напишите еще раз"}).content.decode()
    clean = client.post(reverse("automation:reply_check"), {"body_text": "Thanks!"}).content.decode()
    assert "<mark>еще раз</mark>" in warned and "Be patient." in warned
    assert "alert" not in clean
    assert signed_in(client, people.alice).post(reverse("automation:reply_check"), {"body_text": "x"}).status_code \
        == 404


def test_an_agent_marks_themselves_away_and_back(client, people):
    signed_in(client, people.fiona)
    client.post(reverse("automation:availability"), {"away": "on", "until": "2030-01-01T09:00"})
    availability = AgentAvailability.objects.get(user=people.fiona)
    assert availability.is_away and availability.away_until is not None and availability.away_until.year == 2030
    client.post(reverse("automation:availability"), {"until": "garbage"})
    assert AgentAvailability.objects.get(user=people.fiona).is_away  # bad input changes nothing
    client.post(reverse("automation:availability"), {})
    assert not AgentAvailability.objects.get(user=people.fiona).is_away
    assert signed_in(client, people.alice).get(reverse("automation:availability")).status_code == 404


def test_admin_screens_render(client, people):
    signed_in(client, people.adam)
    trigger = Trigger.objects.create(name="T", event=TriggerEvent.CREATED)
    for name in ("assignmentrule", "trigger", "timerule", "forbiddenword", "cannedreply", "agentavailability",
                 "teamrouting", "automationsettings", "triggerrun", "forbiddenwordhit"):
        assert client.get(reverse(f"admin:automation_{name}_changelist")).status_code == 200, name
        if name not in {"triggerrun", "forbiddenwordhit", "timerulestep"}:
            assert client.get(reverse(f"admin:automation_{name}_add")).status_code == 200, name
    change = client.get(reverse("admin:automation_trigger_change", args=[trigger.pk])).content.decode()
    assert reverse("automation:trigger_preview", args=[trigger.pk]) in change
    for name in ("notificationtemplate", "notificationpreference", "notification", "outboxreceipt"):
        assert client.get(reverse(f"admin:notifications_{name}_changelist")).status_code == 200, name


def test_admin_refuses_a_broken_pattern_and_a_broken_template(client, people):
    signed_in(client, people.adam)
    response = client.post(reverse("admin:automation_forbiddenword_add"),
                           {"phrase": "(oops", "is_regex": "on", "is_active": "on"})
    assert response.status_code == 200 and "not a valid regular expression" in response.content.decode()
    assert not ForbiddenWord.objects.exists()
    from otklik.notifications.models import NotificationTemplate

    template = NotificationTemplate.objects.get(topic="requester_received", language="en")
    response = client.post(reverse("admin:notifications_notificationtemplate_change", args=[template.pk]),
                           {"topic": "requester_received", "language": "en", "subject": "{% if %}",
                            "body": "x", "is_active": "on"})
    assert "does not compile" in response.content.decode()
