"""Webhook subscriptions over the API: administrators with an admin-scoped token only."""

from __future__ import annotations

from django.core.cache import cache
from rest_framework.test import APIClient

from otklik.api.tokens import token_create
from otklik.integrations.delivery import deliveries_send_due
from otklik.integrations.models import WebhookDelivery, WebhookSubscription
from otklik.testing import factories


def _client(user, scopes, now) -> APIClient:
    cache.clear()
    client = APIClient()
    secret = token_create(actor=user, user=user, name="t", scopes=scopes, now=now).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_admin_subscribes_and_sees_the_delivery_log(people, now, receiver):
    client = _client(people.adam, ["read", "write", "admin"], now)

    created = client.post(
        "/api/v1/webhooks/", {"name": "CRM", "url": receiver.url, "event_kinds": ["created"]}, format="json"
    )
    factories.ticket(requester=people.alice, now=now)
    deliveries_send_due(now=now)
    subscription_id = created.json()["id"]
    log = client.get(f"/api/v1/webhooks/{subscription_id}/deliveries/").json()["results"]
    redelivered = client.post(f"/api/v1/webhooks/{subscription_id}/deliveries/{log[0]['id']}/redeliver/")
    listed = client.get("/api/v1/webhooks/").json()["results"]

    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    assert "secret" not in listed[0]
    assert [(row["event_kind"], row["state"], row["response_status"]) for row in log] == [("created", "succeeded", 200)]
    assert redelivered.status_code == 202
    assert len(receiver.requests) == 2


def test_bad_subscriptions_are_refused(people, now):
    client = _client(people.adam, ["admin"], now)

    response = client.post(
        "/api/v1/webhooks/", {"name": "x", "url": "ftp://example.org/", "event_kinds": ["nope"]}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) >= {"url", "event_kinds.0"}
    assert not WebhookSubscription.objects.exists()


def test_non_admins_cannot_manage_webhooks_even_with_a_session(people, now):
    subscription = WebhookSubscription.objects.create(name="x", url="http://127.0.0.1:9/")
    client = _client(people.mia, ["read", "write"], now)

    assert client.get("/api/v1/webhooks/").status_code == 403
    assert client.delete(f"/api/v1/webhooks/{subscription.pk}/").status_code == 403
    assert WebhookSubscription.objects.filter(pk=subscription.pk).exists()
    assert not WebhookDelivery.objects.exists()
