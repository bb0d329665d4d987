"""Link, create and follow tracker issues against fake Redmine, Jira, GitLab and GitHub servers on loopback."""

from __future__ import annotations

import pytest
from django.utils import timezone

from otklik.notifications import topics
from otklik.notifications.models import Notification
from otklik.testing import factories
from otklik.tickets import changes
from otklik.tickets import services as ticket_services
from otklik.tickets.models import EventKind, Message, Ticket, TicketEvent
from otklik.trackers import services
from otklik.trackers.models import CreateState, ExternalIssue, HookState, InboundHook, IssueRequest, TicketIssueLink

KINDS = ("redmine", "jira", "gitlab", "github")
KEYS = {"redmine": "42", "jira": "SHOP-42", "gitlab": "dev/shop#42", "github": "acme/shop#42"}
RESOLVED = {"redmine": ("Resolved", False), "jira": ("Done", True), "gitlab": ("", True), "github": ("", True)}


def _reference(fake, kind: str) -> str:
    """What an agent pastes: a number, or the issue's address as the tracker shows it."""
    return {"redmine": "#42", "jira": f"{fake.base_url}/browse/SHOP-42",
            "gitlab": f"{fake.base_url}/dev/shop/-/issues/42",
            "github": "https://github.com/acme/shop/issues/42"}[kind]


def _hook_url(connection) -> str:
    if connection.kind == "redmine":  # no signatures in Redmine: the secret is in the URL
        return f"/trackers/hooks/{connection.pk}/{connection.webhook_secret}/"
    return f"/trackers/hooks/{connection.pk}/"


def _two_tickets(people):
    people.carol.language = "ru"
    people.carol.save(update_fields=["language"])
    first = factories.ticket(requester=people.alice, subject="Checkout fails")
    second = factories.ticket(requester=people.carol, subject="Оплата не проходит")
    for ticket, agent in ((first, people.fiona), (second, people.sam)):
        changes.ticket_assign(actor=None, ticket_id=ticket.pk, assignee=agent, now=timezone.now())
    return first, second


def _send(client, connection, fake, key, django_capture_on_commit_callbacks, delivery=None):
    headers, body = fake.webhook(key, connection.webhook_secret, delivery=delivery)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(_hook_url(connection), data=body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("kind", KINDS)
def test_status_change_moves_each_linked_ticket_and_answers_each_requester_once(
    kind, people, fakes, connect, bot, client, django_capture_on_commit_callbacks,
):
    fake = fakes(kind)
    fake.add(KEYS[kind], "Payment page crashes", "New")
    connection = connect(fake)
    first, second = _two_tickets(people)

    with django_capture_on_commit_callbacks(execute=True):
        for ticket in (first, second):
            services.issue_link(actor=people.adam, ticket_id=ticket.pk, connection_id=connection.pk,
                                reference=_reference(fake, kind), now=timezone.now())

    issue = ExternalIssue.objects.get(connection=connection)
    assert issue.key == KEYS[kind]
    assert issue.title == "Payment page crashes" and issue.fetched_at is not None and not issue.is_closed
    assert TicketIssueLink.objects.filter(issue=issue).count() == 2
    linked = TicketEvent.objects.filter(ticket=first, kind=EventKind.LINKED).get()
    assert linked.data["external"]["issue"] == KEYS[kind] and linked.actor == people.adam

    status, closed = RESOLVED[kind]
    fake.change(KEYS[kind], status, closed=closed)
    response = _send(client, connection, fake, KEYS[kind], django_capture_on_commit_callbacks)

    assert response.status_code == 202
    hook = InboundHook.objects.get()
    assert hook.state == HookState.PROCESSED, hook.reason
    for ticket, text, agent in ((first, "Hello Alice, the fix for", people.fiona),
                                (second, "Здравствуйте, Carol! Исправление", people.sam)):
        ticket.refresh_from_db()
        assert ticket.status.code == "in_progress"
        replies = Message.objects.filter(ticket=ticket, author=bot, is_internal=False)
        assert [reply.body_text.startswith(text) for reply in replies] == [True]
        assert KEYS[kind] in replies[0].body_text
        change = TicketEvent.objects.get(ticket=ticket, kind=EventKind.STATUS_CHANGED, data__to="in_progress")
        assert change.actor is None
        assert change.data["via"]["tracker"] == connection.pk and change.data["via"]["issue"] == KEYS[kind]
        alert = Notification.objects.get(recipient=agent, ticket=ticket, topic=topics.AUTOMATION_NOTICE)
        assert KEYS[kind] in alert.title

    # The same call again (a tracker retrying) is recognised and ignored.
    again = _send(client, connection, fake, KEYS[kind], django_capture_on_commit_callbacks,
                  delivery=hook.delivery_key if kind != "redmine" else None)
    assert again.status_code == 200 and again.json()["replay"] is True
    # A new call that reports the same state does not answer anybody twice.
    if kind != "redmine":
        _send(client, connection, fake, KEYS[kind], django_capture_on_commit_callbacks, delivery="another-delivery")
    assert Message.objects.filter(author=bot).count() == 2
    assert TicketEvent.objects.filter(kind=EventKind.STATUS_CHANGED, data__to="in_progress").count() == 2


@pytest.mark.parametrize("kind", KINDS)
def test_create_an_issue_from_a_ticket(kind, people, fakes, connect, django_capture_on_commit_callbacks):
    fake = fakes(kind)
    connection = connect(fake)
    ticket = factories.ticket(requester=people.alice, subject="Refund button missing", body="Where is it?")
    ticket_services.ticket_add_note(actor=people.adam, ticket_id=ticket.pk, body_text="Internal: VIP client",
                                    now=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        services.issue_request_create(
            actor=people.adam, ticket_id=ticket.pk, connection_id=connection.pk, project="",
            subject="Refund button missing", description="Where is it?", now=timezone.now())

    request = IssueRequest.objects.get()
    assert request.state == CreateState.DONE, request.error
    created = [seen for seen in fake.seen if seen.method == "POST"]
    assert len(created) == 1
    assert "Refund button missing" in str(created[0].body)
    link = TicketIssueLink.objects.select_related("issue").get(ticket=ticket)
    assert request.issue is not None
    assert link.issue.key == request.issue.key and link.issue.title == "Refund button missing"
    connection.refresh_from_db()
    assert connection.last_error == "" and connection.last_sync_at is not None


def test_tracker_down_during_create_leaves_the_ticket_alone_and_the_error_visible(
    people, fakes, connect, django_capture_on_commit_callbacks,
):
    fake = fakes("redmine")
    connection = connect(fake)
    ticket = factories.ticket(requester=people.alice)
    fake.down = True

    with django_capture_on_commit_callbacks(execute=True):
        services.issue_request_create(actor=people.adam, ticket_id=ticket.pk, connection_id=connection.pk,
                                      project="1", subject="Broken", description="", now=timezone.now())

    request = IssueRequest.objects.get()
    assert request.state == CreateState.PENDING and request.attempts == 1 and "503" in request.error
    assert not TicketIssueLink.objects.exists()
    connection.refresh_from_db()
    assert "503" in connection.last_error
    # When the tracker is back, the retry creates it.
    fake.down = False
    assert request.next_attempt_at is not None
    assert services.issue_request_run(request_id=request.pk, now=request.next_attempt_at) == "created"
    assert TicketIssueLink.objects.filter(ticket=ticket).exists()


def test_tracker_down_during_a_status_change_then_polling_catches_up(
    people, fakes, connect, bot, django_capture_on_commit_callbacks,
):
    fake = fakes("jira")
    fake.add("SHOP-7", "Slow search", "In Progress")
    connection = connect(fake)
    ticket = factories.ticket(requester=people.alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.issue_link(actor=people.adam, ticket_id=ticket.pk, connection_id=connection.pk,
                            reference="SHOP-7", now=timezone.now())
    # The webhook is lost and the tracker goes down while the issue is resolved.
    fake.change("SHOP-7", "Done", closed=True)
    fake.down = True

    assert services.connection_poll(connection_id=connection.pk, now=timezone.now()) == 0
    ticket.refresh_from_db()
    assert ticket.status.code == "new"
    connection.refresh_from_db()
    assert "503" in connection.last_error

    fake.down = False
    assert services.connection_poll(connection_id=connection.pk, now=timezone.now()) == 1
    ticket.refresh_from_db()
    assert ticket.status.code == "in_progress"
    assert Message.objects.filter(ticket=ticket, author=bot).count() == 1
    # Polling again finds nothing new to do.
    services.connection_poll(connection_id=connection.pk, now=timezone.now())
    assert Message.objects.filter(ticket=ticket, author=bot).count() == 1


def test_linking_while_the_tracker_is_down_does_not_block_the_agent(
    people, fakes, connect, django_capture_on_commit_callbacks,
):
    fake = fakes("gitlab")
    connection = connect(fake)
    fake.down = True
    ticket = factories.ticket(requester=people.alice)
    with django_capture_on_commit_callbacks(execute=True):
        link = services.issue_link(actor=people.fiona, ticket_id=ticket.pk, connection_id=connection.pk,
                                   reference="12", now=timezone.now())
    assert link.issue.key == "dev/shop#12" and link.issue.fetched_at is None
    connection.refresh_from_db()
    assert connection.last_error


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_signature_or_secret_is_refused_and_nothing_is_stored(kind, people, fakes, connect, client):
    fake = fakes(kind)
    fake.add(KEYS[kind], "Bug")
    connection = connect(fake)
    headers, body = fake.webhook(KEYS[kind], "the-wrong-secret")
    url = f"/trackers/hooks/{connection.pk}/the-wrong-secret/" if kind == "redmine" else _hook_url(connection)

    response = client.post(url, data=body, content_type="application/json", headers=headers)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    assert not InboundHook.objects.exists()


def test_a_tampered_body_fails_the_github_signature(people, fakes, connect, client):
    fake = fakes("github")
    fake.add(KEYS["github"], "Bug")
    connection = connect(fake)
    headers, body = fake.webhook(KEYS["github"], connection.webhook_secret)
    response = client.post(_hook_url(connection), data=body.replace(b"Bug", b"Bog"), content_type="application/json",
                           headers=headers)
    assert response.status_code == 403


def test_a_malformed_payload_is_kept_failed_and_can_be_reprocessed(
    people, fakes, connect, client, django_capture_on_commit_callbacks,
):
    fake = fakes("redmine")
    connection = connect(fake)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_hook_url(connection), data=b'{"payload": {"issue": {"status": 5}}}',
                               content_type="application/json")
    assert response.status_code == 202
    hook = InboundHook.objects.get()
    assert hook.state == HookState.FAILED and "cannot be read" in hook.reason
    assert bytes(hook.body).startswith(b'{"payload"')
    with django_capture_on_commit_callbacks(execute=True):
        services.hook_reprocess(actor=people.adam, hook_id=hook.pk)
    hook.refresh_from_db()
    assert hook.attempts == 2 and hook.state == HookState.FAILED


def test_a_call_about_an_unlinked_issue_is_ignored(people, fakes, connect, client, django_capture_on_commit_callbacks):
    fake = fakes("github")
    fake.add("acme/shop#99", "Unrelated")
    connection = connect(fake)
    _send(client, connection, fake, "acme/shop#99", django_capture_on_commit_callbacks)
    hook = InboundHook.objects.get()
    assert hook.state == HookState.IGNORED
    assert not Ticket.objects.exists()


def test_feedback_label_asks_the_requester_through_the_mapping(
    people, fakes, connect, client, django_capture_on_commit_callbacks,
):
    fake = fakes("github")
    fake.add("acme/shop#5", "Crash")
    connection = connect(fake)
    ticket = factories.ticket(requester=people.alice)
    changes.ticket_assign(actor=None, ticket_id=ticket.pk, assignee=people.fiona, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        services.issue_link(actor=people.fiona, ticket_id=ticket.pk, connection_id=connection.pk,
                            reference="5", now=timezone.now())
    fake.change("acme/shop#5", labels=("needs-info",))
    _send(client, connection, fake, "acme/shop#5", django_capture_on_commit_callbacks)
    ticket.refresh_from_db()
    assert ticket.status.code == "needs_clarification"
    assert not Message.objects.filter(ticket=ticket, is_internal=False).exclude(author=people.alice).exists()


def test_the_create_form_includes_internal_notes_only_when_asked(people, fakes, connect, client):
    connection = connect(fakes("github"))
    ticket = factories.ticket(requester=people.alice, subject="Export broken", body="The CSV is empty.")
    ticket_services.ticket_add_note(actor=people.adam, ticket_id=ticket.pk, body_text="Internal: DB replica lag",
                                    now=timezone.now())
    client.force_login(people.adam)

    plain = client.get(f"/trackers/tickets/{ticket.number}/create/").content.decode()
    with_notes = client.get(f"/trackers/tickets/{ticket.number}/create/?notes=1").content.decode()

    assert "The CSV is empty." in plain and "DB replica lag" not in plain and "Export broken" in plain
    assert "DB replica lag" in with_notes
    assert connection.name in plain


def test_the_webhook_endpoint_refuses_what_it_cannot_take(people, fakes, connect, client):
    connection = connect(fakes("gitlab"))
    assert client.get(f"/trackers/hooks/{connection.pk}/").status_code == 405
    assert client.post("/trackers/hooks/9999/", data=b"{}", content_type="application/json").status_code == 404
    huge = b'{"a": "' + b"x" * (1024 * 1024) + b'"}'
    too_big = client.post(f"/trackers/hooks/{connection.pk}/", data=huge, content_type="application/json",
                          headers={"X-Gitlab-Token": connection.webhook_secret})
    assert too_big.status_code == 413
    connection.is_active = False
    connection.save()
    off = client.post(f"/trackers/hooks/{connection.pk}/", data=b"{}", content_type="application/json",
                      headers={"X-Gitlab-Token": connection.webhook_secret})
    assert off.status_code == 404
    assert not InboundHook.objects.exists()


def test_a_closed_ticket_is_neither_reopened_nor_written_to(people, fakes, connect, bot, client,
                                                             django_capture_on_commit_callbacks):
    fake = fakes("redmine")
    fake.add("77", "Old bug")
    connection = connect(fake)
    open_ticket, closed_ticket = factories.ticket(requester=people.alice), factories.ticket(requester=people.bob)
    with django_capture_on_commit_callbacks(execute=True):
        for ticket in (open_ticket, closed_ticket):
            services.issue_link(actor=people.adam, ticket_id=ticket.pk, connection_id=connection.pk,
                                reference="77", now=timezone.now())
    changes.ticket_close(actor=None, ticket_id=closed_ticket.pk, now=timezone.now())
    fake.change("77", "Resolved")
    _send(client, connection, fake, "77", django_capture_on_commit_callbacks)

    closed_ticket.refresh_from_db()
    open_ticket.refresh_from_db()
    assert closed_ticket.status.code == "closed" and open_ticket.status.code == "in_progress"
    assert list(Message.objects.filter(author=bot).values_list("ticket_id", flat=True)) == [open_ticket.pk]
