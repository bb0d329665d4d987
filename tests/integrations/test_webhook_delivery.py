"""Webhook deliveries to a real local HTTP receiver: signed, retried with backoff, never duplicated."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from otklik.integrations.delivery import MAX_ATTEMPTS, deliveries_for_event, deliveries_send_due, retry_delay
from otklik.integrations.models import DeliveryState, SubscriptionScope, WebhookDelivery, WebhookSubscription
from otklik.integrations.signing import signature_verify
from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.models import CustomField, EventKind, TicketEvent


def _subscribe(receiver, **options) -> WebhookSubscription:
    return WebhookSubscription.objects.create(name="CRM", url=receiver.url, **options)


def test_delivery_is_signed_with_the_subscription_secret(people, now, receiver, settings):
    settings.OTKLIK_BASE_URL = "https://desk.example.com"
    subscription = _subscribe(receiver, event_kinds=["created"])
    ticket = factories.ticket(requester=people.alice, now=now, subject="Printer on fire")

    results = deliveries_send_due(now=now)

    assert [result.state for result in results] == [DeliveryState.SUCCEEDED]
    (request,) = receiver.requests
    delivery = WebhookDelivery.objects.get()
    assert request.headers["X-Otklik-Event"] == "created"
    assert request.headers["X-Otklik-Delivery"] == str(delivery.uuid)
    assert request.headers["X-Otklik-Timestamp"] == str(int(now.timestamp()))
    assert signature_verify(
        subscription.secret, request.headers["X-Otklik-Signature"], request.body, now_timestamp=int(now.timestamp())
    )
    assert not signature_verify(
        "whsec_wrong", request.headers["X-Otklik-Signature"], request.body, now_timestamp=int(now.timestamp())
    )
    assert not signature_verify(
        subscription.secret,
        request.headers["X-Otklik-Signature"],
        request.body + b" ",
        now_timestamp=int(now.timestamp()),
    )
    assert request.json["ticket"]["number"] == ticket.number
    assert request.json["ticket"]["subject"] == "Printer on fire"
    assert request.json["ticket"]["url"] == f"https://desk.example.com/tickets/{ticket.number}/"
    assert request.json["event"]["kind"] == "created"
    assert delivery.delivered_at == now
    assert delivery.attempt_log.get().response_status == 200


def test_a_500_is_retried_with_backoff_until_it_succeeds(people, now, receiver):
    _subscribe(receiver, event_kinds=["created"])
    factories.ticket(requester=people.alice, now=now)
    receiver.statuses = [500, 503]

    first = deliveries_send_due(now=now)
    too_early = deliveries_send_due(now=now + retry_delay(1) - timedelta(seconds=1))
    second = deliveries_send_due(now=now + retry_delay(1))
    third_at = now + retry_delay(1) + retry_delay(2)
    third = deliveries_send_due(now=third_at)

    assert [r.response_status for r in first + too_early + second + third] == [500, 503, 200]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.delivered_at) == (DeliveryState.SUCCEEDED, 3, third_at)
    log = list(delivery.attempt_log.values_list("number", "response_status"))
    assert log == [(1, 500), (2, 503), (3, 200)]
    assert len(delivery.attempt_log.get(number=1).response_excerpt) <= 2000
    assert len({r.headers["X-Otklik-Delivery"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1  # retries send the same payload


def test_gives_up_after_the_last_attempt(people, now, receiver):
    _subscribe(receiver, event_kinds=["created"])
    factories.ticket(requester=people.alice, now=now)
    receiver.statuses = [500] * MAX_ATTEMPTS
    moment = now

    for _attempt in range(MAX_ATTEMPTS):
        deliveries_send_due(now=moment)
        moment += timedelta(days=1)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == (DeliveryState.FAILED, MAX_ATTEMPTS, None)
    assert deliveries_send_due(now=moment) == []


def test_unreachable_receiver_is_logged_as_an_error(people, now):
    WebhookSubscription.objects.create(name="Gone", url="http://127.0.0.1:9/nothing")
    factories.ticket(requester=people.alice, now=now)

    (result,) = deliveries_send_due(now=now)

    assert result.state == DeliveryState.PENDING
    assert "ConnectError" in WebhookDelivery.objects.get().error


def test_public_subscriptions_never_see_internal_notes_or_staff_fields(people, now, receiver):
    request_type = factories.request_type("access")
    CustomField.objects.create(request_type=request_type, code="system", label="System")
    CustomField.objects.create(request_type=request_type, code="ad_group", label="AD group", internal_only=True)
    public = _subscribe(receiver, scope=SubscriptionScope.PUBLIC)
    staff = _subscribe(receiver, scope=SubscriptionScope.STAFF)
    ticket = factories.ticket(
        requester=people.alice, team=people.first_line, now=now, request_type=request_type, fields={"system": "VPN"}
    )
    changes.ticket_set_fields(actor=people.fiona, ticket_id=ticket.pk, values={"ad_group": "vpn-users"}, now=now)
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="Password is hunter2", now=now)
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="Please reconnect.", now=now)

    deliveries_send_due(now=now)

    sent = {(r.json["scope"], r.json["event"]["kind"]): r.json for r in receiver.requests}
    public_kinds = {kind for scope, kind in sent if scope == "public"}
    assert EventKind.NOTE_ADDED not in public_kinds
    assert ("staff", EventKind.NOTE_ADDED) in sent
    assert sent[("staff", EventKind.NOTE_ADDED)]["message"]["body_text"] == "Password is hunter2"
    for (scope, _kind), payload in sent.items():
        if scope == "public":
            assert "hunter2" not in str(payload)
            assert "ad_group" not in payload["ticket"]["fields"]
            assert "vpn-users" not in str(payload)
    assert sent[("public", EventKind.REPLIED)]["message"]["body_text"] == "Please reconnect."
    assert sent[("staff", EventKind.FIELDS_CHANGED)]["event"]["data"]["changes"]["ad_group"]["to"] == "vpn-users"
    assert public.deliveries.count() < staff.deliveries.count()


def test_deliveries_roll_back_with_their_event(people, now, receiver):
    from django.db import transaction

    _subscribe(receiver)
    ticket = factories.ticket(requester=people.alice, now=now)
    WebhookDelivery.objects.all().delete()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="Hello", now=now)
        raise RuntimeError("crash before commit")

    assert not WebhookDelivery.objects.exists()


def test_committed_events_are_sent_by_the_job(people, now, receiver, django_capture_on_commit_callbacks):
    _subscribe(receiver, event_kinds=["created"])

    with django_capture_on_commit_callbacks(execute=True):
        factories.ticket(requester=people.alice, now=now)

    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().state == DeliveryState.SUCCEEDED


def test_claimed_delivery_is_not_claimed_again_while_leased(people, now, receiver):
    from otklik.integrations.delivery import LEASE, deliveries_claim

    _subscribe(receiver)
    factories.ticket(requester=people.alice, now=now)

    first = deliveries_claim(now=now)
    second = deliveries_claim(now=now + timedelta(seconds=5))
    after_crash = deliveries_claim(now=now + LEASE + timedelta(seconds=1))

    assert len(first) == 1
    assert second == []
    assert after_crash == first  # a crashed worker's claim expires and the delivery is not lost


def test_admin_redelivers_from_the_delivery_log(people, now, receiver, client):
    from otklik.testing.personas import PASSWORD

    _subscribe(receiver, event_kinds=["created"])
    factories.ticket(requester=people.alice, now=now)
    deliveries_send_due(now=now)
    delivery = WebhookDelivery.objects.get()
    client.login(email="adam@otklik.test", password=PASSWORD)

    log_page = client.get(f"/admin/integrations/webhookdelivery/{delivery.pk}/change/")
    response = client.post(
        "/admin/integrations/webhookdelivery/",
        {
            "action": "redeliver",
            "_selected_action": [delivery.pk],
        },
    )

    assert log_page.status_code == 200
    assert b"ok" in log_page.content  # the response excerpt is shown
    assert response.status_code == 302
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SUCCEEDED, 2)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_workers_never_send_a_delivery_twice(receiver):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SKIP LOCKED) with real concurrent connections")
    from django.db import connections
    from django.utils import timezone

    from otklik.testing.personas import create_personas

    people = create_personas()
    now = timezone.now()
    ticket = factories.ticket(requester=people.alice, now=now)
    subscription = _subscribe(receiver)
    for index in range(60):
        event = TicketEvent.objects.create(ticket=ticket, kind="replied", data={"n": index}, created_at=now)
        deliveries_for_event(event)
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    sent_by: dict[int, int] = {}

    def worker(number: int) -> None:
        sent_by[number] = 0
        try:
            start.wait()
            while batch := deliveries_send_due(now=now, limit=3):
                sent_by[number] += len(batch)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    ids = [r.headers["X-Otklik-Delivery"] for r in receiver.requests]
    assert len(ids) == 60
    assert len(set(ids)) == 60
    assert subscription.deliveries.filter(state=DeliveryState.SUCCEEDED, attempts=1).count() == 60
    assert sum(sent_by.values()) == 60
    assert min(sent_by.values()) > 0, sent_by  # both workers really competed for the same rows
