"""Chat events through the signed webhook outbox: public messages only for public subscriptions, remarks for
staff-scoped ones, dialogs opened / answered / overdue, opt-in kinds, once per subscription."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from otklik.chat import services as chat_services
from otklik.chat.models import Membership
from otklik.core.errors import InvalidInput
from otklik.integrations import services
from otklik.integrations.delivery import deliveries_send_due
from otklik.integrations.models import DeliveryState, SubscriptionScope, WebhookDelivery, WebhookSubscription
from otklik.integrations.signing import signature_verify
from otklik.sla.sweep import sla_sweep

KINDS = ["chat.message.created", "chat.dialog.opened", "chat.dialog.answered", "chat.dialog.overdue"]


@pytest.fixture
def chat(people, now):
    return chat_services.chat_create(
        actor=people.adam,
        name="Org A help",
        team=people.first_line,
        membership=Membership.ORGANIZATIONS,
        organizations=[people.org_a],
        now=now,
        first_response_minutes=10,
    )


def _kinds(receiver) -> list[str]:
    return [request.headers["X-Otklik-Event"] for request in receiver.requests]


def test_a_question_and_its_answer_are_delivered_signed(people, now, receiver, chat):
    subscription = WebhookSubscription.objects.create(name="CRM", url=receiver.url, event_kinds=KINDS)
    question = chat_services.chat_message_post(chat=chat, author=people.alice, text="VPN is down", now=now)
    chat_services.chat_message_post(
        chat=chat,
        author=people.fiona,
        text="checking",
        is_internal=True,
        conversation=question.conversation,
        now=now + timedelta(seconds=30),
    )
    chat_services.chat_message_post(
        chat=chat,
        author=people.fiona,
        text="Reconnect",
        now=now + timedelta(minutes=1),
        conversation=question.conversation,
    )

    results = deliveries_send_due(now=now + timedelta(minutes=2))

    assert all(result.state == DeliveryState.SUCCEEDED for result in results)
    # The internal remark never leaves through a public subscription.
    assert _kinds(receiver) == [
        "chat.dialog.opened",
        "chat.message.created",
        "chat.dialog.answered",
        "chat.message.created",
    ]
    for request in receiver.requests:
        assert signature_verify(
            subscription.secret,
            request.headers["X-Otklik-Signature"],
            request.body,
            now_timestamp=int((now + timedelta(minutes=2)).timestamp()),
        )
    opened, asked, answered, replied = (request.json for request in receiver.requests)
    assert asked["message"]["text"] == "VPN is down" and asked["chat"]["name"] == "Org A help"
    assert asked["conversation"]["requester"]["email"] == people.alice.email and asked["ticket"] is None
    assert opened["dialog"]["due_at"] == (now + timedelta(minutes=10)).isoformat()
    assert answered["dialog"]["response_seconds"] == 60
    assert answered["dialog"]["answered_by"]["email"] == people.fiona.email
    assert replied["message"]["from_staff"] is True
    assert "checking" not in b"".join(request.body for request in receiver.requests).decode()


def test_staff_scope_receives_internal_remarks_marked(people, now, receiver, chat):
    WebhookSubscription.objects.create(
        name="Audit", url=receiver.url, scope=SubscriptionScope.STAFF, event_kinds=["chat.message.created"]
    )
    question = chat_services.chat_message_post(chat=chat, author=people.alice, text="VPN", now=now)
    chat_services.chat_message_post(
        chat=chat,
        author=people.fiona,
        text="checking AD",
        is_internal=True,
        conversation=question.conversation,
        now=now,
    )
    deliveries_send_due(now=now)
    assert [request.json["message"]["is_internal"] for request in receiver.requests] == [False, True]


def test_chat_kinds_are_opt_in(people, now, receiver, chat):
    WebhookSubscription.objects.create(name="Every ticket kind", url=receiver.url, event_kinds=[])
    chat_services.chat_message_post(chat=chat, author=people.alice, text="VPN", now=now)
    assert not WebhookDelivery.objects.exists()


def test_the_sweep_sends_overdue_once(people, receiver, chat):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    WebhookSubscription.objects.create(name="Pager", url=receiver.url, event_kinds=["chat.dialog.overdue"])
    chat_services.chat_message_post(chat=chat, author=people.alice, text="VPN", now=start)
    sla_sweep(now=start + timedelta(minutes=11))
    sla_sweep(now=start + timedelta(minutes=12))
    deliveries_send_due(now=start + timedelta(minutes=12))
    assert _kinds(receiver) == ["chat.dialog.overdue"]
    assert receiver.requests[0].json["dialog"]["breached_at"] == (start + timedelta(minutes=11)).isoformat()


def test_a_failed_chat_delivery_is_retried_with_the_same_bytes(people, now, receiver, chat):
    WebhookSubscription.objects.create(name="CRM", url=receiver.url, event_kinds=["chat.message.created"])
    receiver.statuses = [500]
    chat_services.chat_message_post(chat=chat, author=people.alice, text="VPN", now=now)
    assert deliveries_send_due(now=now)[0].state == DeliveryState.PENDING
    deliveries_send_due(now=now + timedelta(minutes=1))
    first, second = receiver.requests
    assert first.body == second.body
    assert WebhookDelivery.objects.get().state == DeliveryState.SUCCEEDED


def test_subscriptions_accept_chat_kinds_and_refuse_unknown(people):
    subscription = services.subscription_create(
        actor=people.adam, name="x", url="https://crm.example/hook", event_kinds=["chat.dialog.opened", "created"]
    )
    assert subscription.event_kinds == ["chat.dialog.opened", "created"]
    with pytest.raises(InvalidInput):
        services.subscription_create(
            actor=people.adam, name="x", url="https://crm.example/hook", event_kinds=["chat.nonsense"]
        )
