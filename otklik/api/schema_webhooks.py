"""The outgoing webhook, documented in the OpenAPI 3.1 `webhooks` section."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiWebhook, extend_schema
from rest_framework import serializers

from otklik.tickets.models import EventKind


class WebhookEventSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(EventKind.choices)
    created_at = serializers.DateTimeField()
    actor = serializers.JSONField(allow_null=True, help_text="{id, email, name} or null for the system.")
    data = serializers.JSONField(  # type: ignore[assignment]
        help_text="Stable codes and ids describing the change."
    )


class WebhookPayloadSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    delivery = serializers.UUIDField(help_text="Also in X-Otklik-Delivery; the same on every retry.")
    scope = serializers.ChoiceField([("public", "public"), ("staff", "staff")])
    event = WebhookEventSerializer()
    ticket = serializers.JSONField(help_text="The ticket when the delivery was first attempted.")
    message = serializers.JSONField(
        allow_null=True, help_text="The reply (or, for staff-scoped subscriptions, the note) of the event."
    )


ticket_event_webhook = OpenApiWebhook(
    name="TicketEvent",
    decorator=extend_schema(
        summary="A ticket event, POSTed to a subscribed URL",
        description=(
            "Headers: `X-Otklik-Event` (kind), `X-Otklik-Delivery` (id), "
            "`X-Otklik-Timestamp` (unix seconds), `X-Otklik-Signature: t=<timestamp>,v1=<hex "
            "HMAC-SHA256 of '<timestamp>.<body>' with the subscription secret>`. Answer 2xx within "
            "10 s; anything else is retried with exponential backoff."
        ),
        request=WebhookPayloadSerializer,
        responses={200: None},
    ),
)
