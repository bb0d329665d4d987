"""Webhook subscriptions over the API: administrators with an `admin`-scoped token (or a session)."""

from __future__ import annotations

from typing import Any

from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from otklik.accounts.models import User
from otklik.api.permissions import AdminRole, TokenScopes
from otklik.api.serializers import reject_unstorable_text
from otklik.api.views import READ_ERRORS, WRITE_ERRORS, ListEndpoint, valid, viewer_of
from otklik.integrations import delivery as webhook_delivery
from otklik.integrations import services
from otklik.integrations.kinds import WEBHOOK_KIND_CHOICES
from otklik.integrations.models import SubscriptionScope, WebhookDelivery, WebhookSubscription

HTTP_URL = URLValidator(schemes=["http", "https"], message="Enter an http or https URL.")


class SubscriptionSerializer(serializers.ModelSerializer[WebhookSubscription]):
    class Meta:
        model = WebhookSubscription
        fields: tuple[str, ...] = ("id", "name", "url", "event_kinds", "scope", "is_active", "created_at")


class SubscriptionWithSecretSerializer(SubscriptionSerializer):
    class Meta(SubscriptionSerializer.Meta):
        fields: tuple[str, ...] = (*SubscriptionSerializer.Meta.fields, "secret")


class SubscriptionInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    url = serializers.URLField(max_length=500, validators=[HTTP_URL])
    event_kinds = serializers.ListField(
        child=serializers.ChoiceField(WEBHOOK_KIND_CHOICES),
        required=False,
        default=list,
        help_text="Empty: every kind.",
    )
    scope = serializers.ChoiceField(SubscriptionScope.choices, default=SubscriptionScope.PUBLIC)
    is_active = serializers.BooleanField(default=True)

    def validate_name(self, value: str) -> str:
        reject_unstorable_text(value)
        return value


class SubscriptionPatchInput(SubscriptionInput):
    name = serializers.CharField(max_length=200, required=False)
    url = serializers.URLField(max_length=500, required=False, validators=[HTTP_URL])
    event_kinds = serializers.ListField(child=serializers.ChoiceField(WEBHOOK_KIND_CHOICES), required=False)
    scope = serializers.ChoiceField(SubscriptionScope.choices, required=False)
    is_active = serializers.BooleanField(required=False)


class DeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    event = serializers.IntegerField(source="event_id", allow_null=True, help_text="Null for chat events.")

    class Meta:
        model = WebhookDelivery
        fields: tuple[str, ...] = (
            "id",
            "uuid",
            "event",
            "source_key",
            "event_kind",
            "state",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "delivered_at",
            "response_status",
            "response_excerpt",
            "error",
            "created_at",
        )


ADMIN_PERMISSIONS = (IsAuthenticated, TokenScopes, AdminRole)


@extend_schema(tags=["webhooks"])
class SubscriptionListView(ListEndpoint):
    admin_only = True
    permission_classes = ADMIN_PERMISSIONS
    output = SubscriptionSerializer

    def rows(self, viewer: User) -> QuerySet[WebhookSubscription]:
        return WebhookSubscription.objects.all()

    @extend_schema(responses={200: SubscriptionSerializer(many=True), **READ_ERRORS}, summary="Subscriptions")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=SubscriptionInput,
        responses={201: SubscriptionWithSecretSerializer, **WRITE_ERRORS},
        summary="Subscribe a URL to ticket events; the answer carries the signing secret",
    )
    def post(self, request: Request) -> Response:
        data = valid(SubscriptionInput, request.data, request)
        subscription = services.subscription_create(actor=viewer_of(request), **data)
        return Response(SubscriptionWithSecretSerializer(subscription).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["webhooks"])
class SubscriptionDetailView(APIView):
    admin_only = True
    permission_classes = ADMIN_PERMISSIONS

    @extend_schema(responses={200: SubscriptionWithSecretSerializer, **READ_ERRORS})
    def get(self, request: Request, subscription_id: int) -> Response:
        subscription = services.subscription_get(actor=viewer_of(request), subscription_id=subscription_id)
        return Response(SubscriptionWithSecretSerializer(subscription).data)

    @extend_schema(request=SubscriptionPatchInput, responses={200: SubscriptionSerializer, **WRITE_ERRORS})
    def patch(self, request: Request, subscription_id: int) -> Response:
        data = valid(SubscriptionPatchInput, request.data, request)
        subscription = services.subscription_update(actor=viewer_of(request), subscription_id=subscription_id, **data)
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(responses={204: None, **WRITE_ERRORS})
    def delete(self, request: Request, subscription_id: int) -> Response:
        services.subscription_delete(actor=viewer_of(request), subscription_id=subscription_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    tags=["webhooks"],
    responses={200: DeliverySerializer(many=True), **READ_ERRORS},
    summary="The delivery log of a subscription, newest first",
)
class DeliveryListView(ListEndpoint):
    admin_only = True
    permission_classes = ADMIN_PERMISSIONS
    output = DeliverySerializer
    ordering = ("-created_at", "-id")

    def rows(self, viewer: User) -> QuerySet[WebhookDelivery]:
        subscription = services.subscription_get(actor=viewer, subscription_id=self.kwargs["subscription_id"])
        return WebhookDelivery.objects.filter(subscription=subscription)


@extend_schema(tags=["webhooks"])
class RedeliverView(APIView):
    admin_only = True
    permission_classes = ADMIN_PERMISSIONS

    @extend_schema(
        request=None,
        responses={202: DeliverySerializer, **WRITE_ERRORS},
        summary="Send a delivery again (same payload and delivery id)",
    )
    def post(self, request: Request, subscription_id: int, delivery_id: int) -> Response:
        viewer = viewer_of(request)
        subscription = services.subscription_get(actor=viewer, subscription_id=subscription_id)
        delivery = WebhookDelivery.objects.filter(pk=delivery_id, subscription=subscription).first()
        if delivery is None:
            from otklik.core.errors import NotFound

            raise NotFound()
        webhook_delivery.delivery_redeliver(actor=viewer, delivery_ids=[delivery.pk], now=timezone.now())
        from otklik.integrations.tasks import webhook_deliveries_send

        webhook_deliveries_send([delivery.pk])
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
