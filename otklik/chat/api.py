"""REST endpoints of support chats and the first-line report: thin views over chat services and selectors,
with the API's conventions (error envelope, keyset pages, token scopes, OpenAPI schema)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from otklik.accounts.access import chats as chat_access
from otklik.accounts.models import Organization, Team, User
from otklik.api.permissions import AdminRole
from otklik.api.serializers import TicketSerializer
from otklik.api.views import READ_ERRORS, WRITE_ERRORS, ListEndpoint, ticket_response, valid, viewer_of
from otklik.chat import selectors, services
from otklik.chat.models import ChatMessage, Conversation, Dialog, Membership, SupportChat
from otklik.chat.payloads import dialog_payload, message_payload
from otklik.core.errors import NotFound, PermissionDenied

# ---------------------------------------------------------------- shapes


class ChatSerializer(serializers.ModelSerializer[SupportChat]):
    team = serializers.SerializerMethodField()
    allowed_origins = serializers.SerializerMethodField()
    organizations = serializers.SerializerMethodField()

    class Meta:
        model = SupportChat
        fields: tuple[str, ...] = (
            "id", "name", "team", "membership", "organizations", "allowed_origins", "allow_guests",
            "first_response_minutes", "schedule", "is_active", "created_at",
        )

    def get_team(self, chat: SupportChat) -> dict[str, Any]:
        return {"id": chat.team_id, "name": chat.team.name}

    def get_organizations(self, chat: SupportChat) -> list[int]:
        return [organization.pk for organization in chat.organizations.all()]

    def get_allowed_origins(self, chat: SupportChat) -> list[str]:
        return chat.origins()


class ChatCreateInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    membership = serializers.ChoiceField(choices=Membership.choices, default=Membership.EVERYONE)
    organizations = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all(), many=True, default=list)
    people = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, default=list)
    allowed_origins = serializers.ListField(child=serializers.CharField(max_length=200), default=list, max_length=50)
    allow_guests = serializers.BooleanField(default=False)
    first_response_minutes = serializers.IntegerField(min_value=1, max_value=100_000, required=False, allow_null=True)


class AuthorSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(allow_null=True)
    email = serializers.CharField(help_text="Empty when the viewer may not know it.")
    name = serializers.CharField()


class TicketCardSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.DictField()


class ChatFileSerializer(serializers.Serializer[Any]):
    filename = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    url = serializers.CharField()


class ChatMessageSerializer(serializers.Serializer[Any]):
    """A message as `otklik.chat.payloads.message_payload` shapes it for the viewer's side."""

    id = serializers.IntegerField()
    chat = serializers.IntegerField()
    conversation = serializers.IntegerField()
    author = AuthorSerializer()
    from_staff = serializers.BooleanField()
    is_internal = serializers.BooleanField()
    text = serializers.CharField()
    html = serializers.CharField()
    created_at = serializers.DateTimeField()
    ticket = TicketCardSerializer(allow_null=True)
    attachments = ChatFileSerializer(many=True)

    def to_representation(self, instance: ChatMessage) -> dict[str, Any]:
        viewer = self.context.get("viewer")
        return message_payload(
            instance, for_staff=bool(self.context.get("for_staff")), viewer_id=viewer.pk if viewer else None
        )


class MessagePostInput(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=services.MAX_TEXT, allow_blank=False, trim_whitespace=True)
    conversation = serializers.IntegerField(required=False, min_value=1, help_text="Staff: the conversation answered.")
    is_internal = serializers.BooleanField(default=False)


class MessageListQuery(serializers.Serializer[Any]):
    after = serializers.IntegerField(
        required=False, min_value=0, help_text="Only messages after this id, oldest first (for catching up)."
    )


class DialogSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    chat = serializers.IntegerField()
    conversation = serializers.IntegerField()
    first_message = serializers.IntegerField()
    last_question_message = serializers.IntegerField()
    question_count = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    answer_message = serializers.IntegerField(allow_null=True)
    answered_by = serializers.IntegerField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    response_seconds = serializers.IntegerField(allow_null=True)
    response_working_seconds = serializers.IntegerField(allow_null=True)

    def to_representation(self, instance: Dialog) -> dict[str, Any]:
        return dialog_payload(instance)


class FirstLineQuery(serializers.Serializer[Any]):
    # `from` is a Python keyword, so the field is renamed on the way in.
    to = serializers.DateField()
    chat = serializers.IntegerField(required=False, min_value=1)
    team = serializers.IntegerField(required=False, min_value=1)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs["from"], attrs["to"]
        if end < start:
            raise serializers.ValidationError({"to": _("The end is before the start.")})
        if (end - start).days > 3660:
            raise serializers.ValidationError({"to": _("At most ten years at once.")})
        return attrs


class FirstLineSerializer(serializers.Serializer[Any]):
    dialogs = serializers.IntegerField()
    avg_response_seconds = serializers.FloatField(allow_null=True)
    median_response_seconds = serializers.FloatField(allow_null=True)
    p90_response_seconds = serializers.FloatField(allow_null=True)
    avg_response_working_seconds = serializers.FloatField(allow_null=True)
    unanswered = serializers.IntegerField()


# ---------------------------------------------------------------- views


def _chat_of(request: Request, chat_id: int) -> SupportChat:
    return selectors.chat_get_for(viewer_of(request), chat_id)


class ChatListView(ListEndpoint):
    output = ChatSerializer
    ordering = ("name", "id")

    def rows(self, viewer: User) -> QuerySet[SupportChat]:
        return selectors.chats_visible_to(viewer).prefetch_related("organizations")

    @extend_schema(responses={200: ChatSerializer(many=True), **READ_ERRORS},
                   summary="Support chats the caller may use")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ChatCreateInput, responses={201: ChatSerializer, **WRITE_ERRORS},
                   summary="Create a support chat (administrators)")
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        if not AdminRole().has_permission(request, self):
            raise PermissionDenied(_("Only administrators create support chats."))
        data = valid(ChatCreateInput, request.data, request)
        chat = services.chat_create(
            actor=viewer, name=data["name"], team=data["team"], membership=data["membership"],
            organizations=data["organizations"], people=data["people"],
            allowed_origins="\n".join(data["allowed_origins"]), allow_guests=data["allow_guests"],
            first_response_minutes=data.get("first_response_minutes"), now=timezone.now(),
        )
        return Response(ChatSerializer(chat).data, status=status.HTTP_201_CREATED)


class ChatDetailView(APIView):
    @extend_schema(responses={200: ChatSerializer, **READ_ERRORS}, summary="One support chat")
    def get(self, request: Request, chat_id: int) -> Response:
        return Response(ChatSerializer(_chat_of(request, chat_id)).data)


class ChatMessagesView(ListEndpoint):
    """Newest first by default (paging back through history); with `after`, oldest first from there."""

    output = ChatMessageSerializer

    def get_ordering(self) -> tuple[str, ...]:
        return ("id",) if getattr(self, "after", None) is not None else ("-id",)

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context["for_staff"] = getattr(self, "for_staff", False)
        context["viewer"] = getattr(self, "viewer", None)
        return context

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return ChatMessage.objects.none()
        return self.rows(viewer_of(self.request))

    def rows(self, viewer: User) -> QuerySet[ChatMessage]:
        chat_id = int(self.kwargs["chat_id"])
        chat = selectors.chat_get_for(viewer, chat_id)
        query = valid(MessageListQuery, self.request.query_params, self.request)
        self.after = query.get("after")
        self.viewer = viewer
        self.for_staff = chat_access.chat_serves(viewer, chat.pk)
        messages = selectors.messages_visible_to(viewer, chat.pk)
        return messages if self.after is None else messages.filter(pk__gt=self.after)

    @extend_schema(parameters=[MessageListQuery], responses={200: ChatMessageSerializer(many=True), **READ_ERRORS},
                   summary="Messages the caller may read in a chat")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=MessagePostInput, responses={201: ChatMessageSerializer, **WRITE_ERRORS},
                   summary="Write in a chat as the token's user")
    def post(self, request: Request, chat_id: int) -> Response:
        viewer = viewer_of(request)
        chat = selectors.chat_get_for(viewer, chat_id)
        data = valid(MessagePostInput, request.data, request)
        conversation = None
        if data.get("conversation"):
            conversation = Conversation.objects.filter(pk=data["conversation"], chat_id=chat.pk).first()
            if conversation is None:
                raise NotFound()
        message = services.chat_message_post(
            chat=chat, author=viewer, text=data["text"], conversation=conversation, is_internal=data["is_internal"],
            now=timezone.now(),
        )
        fresh = selectors.messages_visible_to(viewer, chat.pk).get(pk=message.pk)
        context = {"for_staff": chat_access.chat_serves(viewer, chat.pk), "viewer": viewer}
        return Response(ChatMessageSerializer(fresh, context=context).data, status=status.HTTP_201_CREATED)


class ChatMessageTicketView(APIView):
    @extend_schema(request=None, responses={201: TicketSerializer, **WRITE_ERRORS},
                   summary="Make a ticket from one of the last 10 messages")
    def post(self, request: Request, chat_id: int, message_id: int) -> Response:
        viewer = viewer_of(request)
        chat = selectors.chat_get_for(viewer, chat_id)
        if not selectors.messages_visible_to(viewer, chat.pk).filter(pk=message_id).exists():
            raise NotFound()
        ticket = services.chat_ticket_from_message(actor=viewer, message_id=message_id, now=timezone.now())
        return ticket_response(request, ticket, status.HTTP_201_CREATED)


class ChatDialogsView(ListEndpoint):
    output = DialogSerializer
    ordering = ("-started_at", "-id")

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return Dialog.objects.none()
        return self.rows(viewer_of(self.request))

    def rows(self, viewer: User) -> QuerySet[Dialog]:
        chat = selectors.chat_get_for(viewer, int(self.kwargs["chat_id"]))
        return selectors.dialogs_visible_to(viewer, chat.pk)

    @extend_schema(responses={200: DialogSerializer(many=True), **READ_ERRORS},
                   summary="Dialogs of a chat (staff who serve it)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class FirstLineReportView(APIView):
    @extend_schema(
        parameters=[FirstLineQuery], responses={200: FirstLineSerializer, **READ_ERRORS},
        summary="First-line metrics: dialogs and response times over chats the caller serves",
    )
    def get(self, request: Request) -> Response:
        viewer = viewer_of(request)
        query = valid(FirstLineQuery, request.query_params, request)
        start: date = query["from"]
        metrics = selectors.first_line_metrics(
            viewer, start=start, end=query["to"], chat_id=query.get("chat"), team_id=query.get("team")
        )
        return Response(FirstLineSerializer(metrics).data)
