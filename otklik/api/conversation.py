"""The API under /tickets/{number}/ for the conversation: messages, events, links, replies, notes and
attachments (the ticket itself and its actions are in `views`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from otklik.accounts import access
from otklik.accounts.models import User
from otklik.api import inputs, selectors
from otklik.api import serializers as s
from otklik.api.errors import error_body
from otklik.api.renderers import BinaryRenderer
from otklik.api.views import ERROR, READ_ERRORS, WRITE_ERRORS, ListEndpoint, valid, viewer_of
from otklik.automation.forbidden import ReplyHeld, reply_guard
from otklik.core.errors import InvalidInput, NotFound
from otklik.security.downloads import attachment_file_response
from otklik.tickets import changes, services, uploads
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import Source, Ticket


class TicketChildList(ListEndpoint):
    """A list under /tickets/{number}/: the ticket is checked first, so an invisible one is a 404."""

    def ticket(self) -> Ticket:
        if not hasattr(self, "_ticket"):
            self._ticket = selectors.ticket_for(viewer_of(self.request), self.kwargs["number"])
        return self._ticket


@extend_schema(
    responses={200: s.MessageSerializer(many=True), **READ_ERRORS},
    summary="Public replies, and internal notes for staff",
)
class TicketMessagesView(TicketChildList):
    output = s.MessageSerializer
    ordering = ("created_at", "id")

    def rows(self, viewer: User) -> QuerySet[Any]:
        return ticket_selectors.ticket_messages(viewer, self.ticket())


@extend_schema(
    responses={200: s.EventSerializer(many=True), **READ_ERRORS},
    summary="History (requesters: creation and status changes)",
)
class TicketEventsView(TicketChildList):
    output = s.EventSerializer
    ordering = ("created_at", "id")

    def rows(self, viewer: User) -> QuerySet[Any]:
        return ticket_selectors.ticket_events(viewer, self.ticket())


class TicketLinksView(TicketChildList):
    output = s.LinkSerializer
    ordering = ("created_at", "id")

    def rows(self, viewer: User) -> QuerySet[Any]:
        return ticket_selectors.ticket_links(viewer, self.ticket())

    def get_serializer_context(self) -> dict[str, Any]:
        return {"request": self.request, "ticket": self.ticket()}

    @extend_schema(
        responses={200: s.LinkSerializer(many=True), **READ_ERRORS},
        summary="Links of a ticket to tickets the caller may see",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=inputs.LinkInput, responses={201: s.LinkSerializer, **WRITE_ERRORS}, summary="Link")
    def post(self, request: Request, number: int) -> Response:
        viewer = viewer_of(request)
        ticket = self.ticket()
        data = valid(inputs.LinkInput, request.data, request)
        other = selectors.ticket_for(viewer, data["ticket"])
        link = changes.ticket_link(
            actor=viewer, ticket_id=ticket.pk, other_id=other.pk, kind=data["kind"], now=timezone.now()
        )
        link = ticket_selectors.ticket_links(viewer, ticket).get(pk=link.pk)
        return Response(
            s.LinkSerializer(link, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


class TicketRepliesView(APIView):
    @extend_schema(
        request=inputs.ReplyInput,
        responses={201: s.MessageSerializer, **WRITE_ERRORS},
        summary="Post a public reply",
    )
    def post(self, request: Request, number: int) -> Response:
        viewer = viewer_of(request)
        ticket = selectors.ticket_for(viewer, number)
        data = valid(inputs.ReplyInput, request.data, request)
        if access.handles(viewer, ticket):
            # The same hold as the agent's reply form (automation.forbidden): staff replies with forbidden
            # words wait for `send_anyway`.
            try:
                reply_guard(body_text=data["body_text"], body_html=data["body_html"],
                            confirmed=data["send_anyway"])
            except ReplyHeld as held:
                phrases = ", ".join(sorted({match.matched_text for match in held.matches}))
                return Response(error_body(held.code, str(held.message), {"body_text": phrases}),
                                status=status.HTTP_409_CONFLICT)
        message = services.ticket_reply(
            actor=viewer,
            ticket_id=ticket.pk,
            body_text=data["body_text"],
            body_html=data["body_html"],
            channel=Source.API,
            new_status=data.get("status"),
            happened_at=data.get("happened_at"),
            now=timezone.now(),
        )
        return Response(s.MessageSerializer(message, context={"request": request}).data, status=status.HTTP_201_CREATED)


class TicketNotesView(APIView):
    @extend_schema(
        request=inputs.NoteInput,
        responses={201: s.MessageSerializer, **WRITE_ERRORS},
        summary="Add an internal note (staff)",
    )
    def post(self, request: Request, number: int) -> Response:
        viewer = viewer_of(request)
        ticket = selectors.ticket_for(viewer, number)
        data = valid(inputs.NoteInput, request.data, request)
        message = services.ticket_add_note(
            actor=viewer,
            ticket_id=ticket.pk,
            body_text=data["body_text"],
            body_html=data["body_html"],
            now=timezone.now(),
        )
        return Response(s.MessageSerializer(message, context={"request": request}).data, status=status.HTTP_201_CREATED)


class TicketAttachmentsView(TicketChildList):
    output = s.AttachmentSerializer
    ordering = ("created_at", "id")
    parser_classes = (MultiPartParser, FormParser, JSONParser)

    def rows(self, viewer: User) -> QuerySet[Any]:
        return selectors.ticket_attachments(viewer, self.ticket())

    @extend_schema(
        responses={200: s.AttachmentSerializer(many=True), **READ_ERRORS},
        summary="Files of the messages the caller may see",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": inputs.AttachmentUploadInput},
        responses={201: s.MessageSerializer, 413: ERROR, **WRITE_ERRORS},
        summary="Upload a file as a public reply (or, for staff, an internal note)",
    )
    def post(self, request: Request, number: int) -> Response:
        viewer = viewer_of(request)
        ticket = selectors.ticket_for(viewer, number)
        data = valid(inputs.AttachmentUploadInput, request.data, request)
        upload = data["file"]
        limit = uploads.upload_limit(viewer)
        if upload.size is not None and upload.size > limit:
            # Refused before the file is read into memory, by the services' one per-role limit.
            raise InvalidInput(_("The file is too large."), errors={"file": _("The file is too large.")})
        item = InboundAttachment(
            filename=upload.name or "attachment",
            content=upload.read(),
            content_type=upload.content_type or "application/octet-stream",
        )
        now = timezone.now()
        if data["internal"]:
            message = services.ticket_add_note(
                actor=viewer, ticket_id=ticket.pk, body_text=data["body_text"], attachments=[item], now=now
            )
        else:
            message = services.ticket_reply(
                actor=viewer,
                ticket_id=ticket.pk,
                body_text=data["body_text"],
                channel=Source.API,
                attachments=[item],
                now=now,
            )
        return Response(s.MessageSerializer(message, context={"request": request}).data, status=status.HTTP_201_CREATED)


class AttachmentDownloadView(APIView):
    renderer_classes = (JSONRenderer, BinaryRenderer)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **READ_ERRORS},
        summary="Download a file (always as an attachment, never rendered inline)",
    )
    def get(self, request: Request, token: str) -> FileResponse:
        attachment = selectors.attachment_for(viewer_of(request), token)
        try:
            return attachment_file_response(attachment, preview=False)
        except Http404 as exc:
            raise NotFound() from exc
