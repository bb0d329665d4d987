"""Shapes of the API: output representations and the validated input of every write.

Input serializers only parse; the services decide (permissions, state rules, custom field validation).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from otklik.accounts.access import can_see_internal, handles, person_email, person_label, visible_fields
from otklik.accounts.models import Organization, Team, User
from otklik.api.models import ApiToken, Scope
from otklik.api.modelserializer import ModelSerializer
from otklik.tickets.models import (
    Attachment,
    Category,
    CustomField,
    Message,
    Priority,
    RequestType,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
)

MAX_ID = 2**63 - 1
MAX_BODY = 200_000


def _viewer(serializer: serializers.BaseSerializer[Any]) -> User | None:
    request = serializer.context.get("request")
    user = getattr(request, "user", None)
    return user if isinstance(user, User) else None


def reject_unstorable_text(value: Any, path: str = "") -> None:
    """NUL and lone surrogates cannot be stored (PostgreSQL refuses them), so they are refused up front."""
    if isinstance(value, str):
        if "\x00" in value or any(0xD800 <= ord(char) <= 0xDFFF for char in value):
            raise serializers.ValidationError(_("Text contains characters that cannot be stored."))
    elif isinstance(value, dict):
        for key, item in value.items():
            reject_unstorable_text(key, path)
            reject_unstorable_text(item, path)
    elif isinstance(value, list):
        for item in value:
            reject_unstorable_text(item, path)


class FieldValuesField(serializers.DictField):
    """Custom field values by field code: text, numbers, dates (YYYY-MM-DD), choices, user ids."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", serializers.JSONField())
        kwargs.setdefault("validators", [reject_unstorable_text])
        super().__init__(**kwargs)


def id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# ---------------------------------------------------------------- references and directory


class PersonSerializer(ModelSerializer[User]):
    """A person as the viewer may know them: requesters never see other people's email."""

    name = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields: tuple[str, ...] = ("id", "email", "name")

    def get_name(self, user: User) -> str:
        return person_label(_viewer(self), user)

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_email(self, user: User) -> str | None:
        return person_email(_viewer(self), user)


class OrganizationSerializer(ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields: tuple[str, ...] = ("id", "name", "domain", "shares_tickets")


class TeamSerializer(ModelSerializer[Team]):
    class Meta:
        model = Team
        fields: tuple[str, ...] = ("id", "name", "kind", "email")


class UserSerializer(ModelSerializer[User]):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields: tuple[str, ...] = (
            "id",
            "email",
            "name",
            "first_name",
            "last_name",
            "role",
            "organization",
            "is_active",
        )

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.email


class MeSerializer(UserSerializer):
    teams = TeamSerializer(many=True, read_only=True)
    token_scopes = serializers.SerializerMethodField(
        help_text="Scopes of the token in use; null when signed in with a session."
    )

    class Meta(UserSerializer.Meta):
        fields: tuple[str, ...] = (*UserSerializer.Meta.fields, "language", "time_zone", "teams", "token_scopes")

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Scope.choices), allow_null=True))
    def get_token_scopes(self, user: User) -> list[str] | None:
        request = self.context.get("request")
        token = getattr(request, "auth", None)
        return list(token.scopes) if isinstance(token, ApiToken) else None


class StatusSerializer(ModelSerializer[Status]):
    class Meta:
        model = Status
        fields: tuple[str, ...] = ("id", "code", "name", "name_ru", "kind", "pauses_sla", "order", "is_active")


class PrioritySerializer(ModelSerializer[Priority]):
    class Meta:
        model = Priority
        fields: tuple[str, ...] = ("id", "code", "name", "name_ru", "rank", "color", "is_default")


class CategorySerializer(ModelSerializer[Category]):
    class Meta:
        model = Category
        fields: tuple[str, ...] = ("id", "name", "name_ru", "path", "parent", "order", "is_active")


class CustomFieldSerializer(ModelSerializer[CustomField]):
    class Meta:
        model = CustomField
        fields: tuple[str, ...] = ("code", "label", "label_ru", "kind", "required", "choices", "internal_only", "order")


class RequestTypeSerializer(ModelSerializer[RequestType]):
    default_priority: serializers.SlugRelatedField[Priority] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    fields = serializers.SerializerMethodField(method_name="custom_fields")  # type: ignore[assignment]

    class Meta:
        model = RequestType
        fields: tuple[str, ...] = (
            "id",
            "code",
            "name",
            "name_ru",
            "group",
            "description",
            "category",
            "team",
            "default_priority",
            "requester_sets_priority",
            "submit_rule",
            "fields",
        )

    @extend_schema_field(CustomFieldSerializer(many=True))
    def custom_fields(self, request_type: RequestType) -> list[dict[str, Any]]:
        staff = can_see_internal(_viewer(self))
        fields = [field for field in request_type.fields.all() if staff or not field.internal_only]
        return CustomFieldSerializer(fields, many=True).data  # type: ignore[return-value]


# ---------------------------------------------------------------- tickets


class StatusRefSerializer(ModelSerializer[Status]):
    class Meta:
        model = Status
        fields: tuple[str, ...] = ("code", "name", "kind")


class PriorityRefSerializer(ModelSerializer[Priority]):
    class Meta:
        model = Priority
        fields: tuple[str, ...] = ("code", "name", "rank", "color")


class NamedRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CategoryRefSerializer(ModelSerializer[Category]):
    class Meta:
        model = Category
        fields: tuple[str, ...] = ("id", "name", "path")


class RequestTypeRefSerializer(ModelSerializer[RequestType]):
    class Meta:
        model = RequestType
        fields: tuple[str, ...] = ("id", "code", "name")


class TicketSerializer(ModelSerializer[Ticket]):
    status = StatusRefSerializer()
    priority = PriorityRefSerializer()
    requester = PersonSerializer()
    assignee = PersonSerializer(allow_null=True)
    organization = NamedRefSerializer(allow_null=True)
    team = NamedRefSerializer(allow_null=True)
    category = CategoryRefSerializer(allow_null=True)
    request_type = RequestTypeRefSerializer(allow_null=True)
    merged_into: serializers.SlugRelatedField[Ticket] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )
    fields = serializers.SerializerMethodField(  # type: ignore[assignment]
        method_name="field_values", help_text="Custom field values by field code."
    )
    tags = serializers.SerializerMethodField(
        method_name="tag_names", help_text="Free labels, lowercase; staff who handle the ticket only (else empty)."
    )

    class Meta:
        model = Ticket
        fields: tuple[str, ...] = (
            "id",
            "number",
            "subject",
            "status",
            "priority",
            "source",
            "requester",
            "organization",
            "assignee",
            "team",
            "category",
            "request_type",
            "fields",
            "tags",
            "merged_into",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "sla_next_due_at",
        )

    @extend_schema_field(OpenApiTypes.OBJECT)
    def field_values(self, ticket: Ticket) -> dict[str, Any]:
        staff_ids: set[int] | None = self.context.get("staff_ticket_ids")
        if staff_ids is None:
            return visible_fields(_viewer(self), ticket)
        return ticket_field_values(ticket, staff=ticket.pk in staff_ids)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def tag_names(self, ticket: Ticket) -> list[str]:
        staff_ids: set[int] | None = self.context.get("staff_ticket_ids")
        return ticket_tag_names(ticket, staff=ticket.pk in staff_ids if staff_ids is not None
                                else handles(_viewer(self), ticket))


def ticket_field_values(ticket: Ticket, *, staff: bool) -> dict[str, Any]:
    """A visible ticket's custom field values, `staff` deciding for it (the rule of `access.visible_fields`,
    decided for a page of tickets in one query, `selectors.staff_ticket_ids`)."""
    if staff or ticket.request_type is None:
        return dict(ticket.fields or {})
    hidden = {field.code for field in ticket.request_type.fields.all() if field.internal_only}
    return {code: value for code, value in (ticket.fields or {}).items() if code not in hidden}


def ticket_tag_names(ticket: Ticket, *, staff: bool) -> list[str]:
    # Labels are the support team's words: shown like internal fields, to staff who handle the ticket.
    return [tag.name for tag in ticket.tags.all()] if staff else []


class AttachmentSerializer(ModelSerializer[Attachment]):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields: tuple[str, ...] = ("token", "filename", "content_type", "size", "message", "created_at", "download_url")

    def get_download_url(self, attachment: Attachment) -> str:
        path = reverse("api:attachment-download", kwargs={"token": attachment.token})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class MessageSerializer(ModelSerializer[Message]):
    author = PersonSerializer(allow_null=True)
    attachments = AttachmentSerializer(many=True)

    class Meta:
        model = Message
        fields: tuple[str, ...] = (
            "id",
            "is_internal",
            "author",
            "channel",
            "body_text",
            "body_html",
            "created_at",
            "attachments",
        )


class EventSerializer(ModelSerializer[TicketEvent]):
    actor = PersonSerializer(allow_null=True)

    class Meta:
        model = TicketEvent
        fields: tuple[str, ...] = ("id", "kind", "actor", "data", "created_at")


class LinkSerializer(ModelSerializer[TicketLink]):
    """A link seen from one ticket (`context["ticket"]`): outgoing or incoming, with the other ticket."""

    direction = serializers.SerializerMethodField()
    ticket = serializers.SerializerMethodField(help_text="Number of the other ticket.")
    subject = serializers.SerializerMethodField(help_text="Subject of the other ticket.")

    class Meta:
        model = TicketLink
        fields: tuple[str, ...] = ("id", "kind", "direction", "ticket", "subject", "created_at")

    def _outgoing(self, link: TicketLink) -> bool:
        return bool(link.from_ticket_id == self.context["ticket"].pk)

    def _other(self, link: TicketLink) -> Ticket:
        return link.to_ticket if self._outgoing(link) else link.from_ticket

    @extend_schema_field(serializers.ChoiceField([("out", "out"), ("in", "in")]))
    def get_direction(self, link: TicketLink) -> str:
        return "out" if self._outgoing(link) else "in"

    def get_ticket(self, link: TicketLink) -> int:
        return self._other(link).number

    def get_subject(self, link: TicketLink) -> str:
        return self._other(link).subject


class RatingSerializer(serializers.Serializer[Any]):
    score = serializers.IntegerField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class SlaSummarySerializer(serializers.Serializer[Any]):
    """The figures the ledger page opens with (`otklik.sla.ledger.LedgerSummary`)."""

    counted_seconds = serializers.IntegerField(help_text="Business seconds counted so far.")
    paused_seconds = serializers.IntegerField(help_text="Calendar seconds the clock was paused or resolved.")
    outside_hours_seconds = serializers.IntegerField(help_text="Calendar seconds outside working hours.")
    remaining_seconds = serializers.IntegerField(allow_null=True, help_text="Business seconds left; null when late "
                                                                            "or no longer open.")
    late_by_seconds = serializers.IntegerField(allow_null=True, help_text="Calendar seconds past the due time.")
    business_overrun_seconds = serializers.IntegerField(allow_null=True,
                                                        help_text="Business seconds used beyond the target.")
    working_day_seconds = serializers.IntegerField(help_text="Length of the schedule's usual working day.")


class SlaLedgerRunSerializer(serializers.Serializer[Any]):
    """A stretch of alike time in the clock's ledger (runs are folded; a late stretch is its own run)."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    kind = serializers.ChoiceField([(value, value) for value in ("running", "paused", "stopped")])
    late = serializers.BooleanField()
    counted_seconds = serializers.IntegerField()
    outside_hours_seconds = serializers.IntegerField()
    paused_seconds = serializers.IntegerField()
    causes = serializers.ListField(child=serializers.CharField(), help_text="Clock events in this stretch.")


class SlaClockSerializer(serializers.Serializer[Any]):
    """One SLA clock of a ticket, read from `otklik.sla.selectors.ClockDetail`."""

    metric = serializers.CharField(source="clock.metric")
    cycle = serializers.IntegerField(source="clock.cycle")
    state = serializers.CharField(source="clock.state")
    status = serializers.ChoiceField(
        [(value, value) for value in ("running", "due_soon", "paused", "late", "met", "cancelled")],
        help_text="What an agent sees on the ticket.",
    )
    policy = serializers.SerializerMethodField()
    target_seconds = serializers.IntegerField(source="clock.target_seconds", help_text="Business seconds.")
    used_seconds = serializers.IntegerField(help_text="Business seconds used so far.")
    remaining_seconds = serializers.IntegerField(allow_null=True, help_text="Null once the clock stopped.")
    due_at = serializers.DateTimeField(source="clock.due_at", allow_null=True)
    warn_at = serializers.DateTimeField(source="clock.warn_at", allow_null=True)
    breached_at = serializers.DateTimeField(source="clock.breached_at", allow_null=True)
    stopped_at = serializers.DateTimeField(source="clock.stopped_at", allow_null=True)
    met = serializers.BooleanField(source="clock.met", allow_null=True)
    paused_seconds = serializers.IntegerField(source="clock.paused_seconds")
    reopen_count = serializers.IntegerField(source="clock.reopen_count")
    manual_due_at = serializers.DateTimeField(source="clock.manual_due_at", allow_null=True)
    schedule_zone = serializers.CharField()
    summary = SlaSummarySerializer()
    ledger = SlaLedgerRunSerializer(many=True)

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_policy(self, detail: Any) -> dict[str, Any] | None:
        policy = detail.clock.policy
        return {"id": policy.pk, "name": str(policy.name)} if policy is not None else None


class TicketSlaSerializer(serializers.Serializer[Any]):
    ticket = serializers.IntegerField(help_text="The ticket number.")
    clocks = SlaClockSerializer(many=True)
