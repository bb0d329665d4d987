"""A ticket's links to tracker issues (Redmine, Jira, GitLab, GitHub): staff who handle the ticket only.

A person who sees the ticket but not its internal side (its requester) gets 403, like any action they
may not take; one who does not see the ticket gets 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from otklik.accounts.models import User
from otklik.api import selectors as api_selectors
from otklik.api.conversation import TicketChildList
from otklik.api.serializers import reject_unstorable_text
from otklik.api.views import READ_ERRORS, WRITE_ERRORS, valid, viewer_of
from otklik.trackers import selectors, services
from otklik.trackers.models import TicketIssueLink, TrackerKind


class TrackerRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(TrackerKind.choices)


class IssueStateSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="123 (Redmine), PROJ-1 (Jira), group/project#12, owner/repo#12.")
    title = serializers.CharField()
    status = serializers.CharField(help_text="The tracker's status, or open/closed state.")
    is_closed = serializers.BooleanField()
    labels = serializers.ListField(child=serializers.CharField())
    assignee = serializers.CharField()
    url = serializers.CharField()
    fetched_at = serializers.DateTimeField(allow_null=True, help_text="Null until the tracker first answered.")


class ExternalLinkSerializer(serializers.ModelSerializer[TicketIssueLink]):
    tracker = serializers.SerializerMethodField()
    issue = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = TicketIssueLink
        fields: tuple[str, ...] = ("id", "tracker", "issue", "created_by", "created_at")

    @extend_schema_field(TrackerRefSerializer)
    def get_tracker(self, link: TicketIssueLink) -> dict[str, Any]:
        connection = link.issue.connection
        return {"id": connection.pk, "name": connection.name, "kind": connection.kind}

    @extend_schema_field(IssueStateSerializer)
    def get_issue(self, link: TicketIssueLink) -> dict[str, Any]:
        issue = link.issue
        return {"key": issue.key, "title": issue.title, "status": issue.status, "is_closed": issue.is_closed,
                "labels": list(issue.labels or []), "assignee": issue.assignee, "url": issue.url,
                "fetched_at": issue.fetched_at.isoformat() if issue.fetched_at else None}

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_created_by(self, link: TicketIssueLink) -> int | None:
        return link.created_by_id


class ExternalLinkInput(serializers.Serializer[Any]):
    connection = serializers.IntegerField(help_text="Id of an active tracker connection.")
    reference = serializers.CharField(max_length=500, help_text="The issue's number, key or address.")

    def validate_reference(self, value: str) -> str:
        reject_unstorable_text(value)
        return value


class TicketExternalLinksView(TicketChildList):
    output = ExternalLinkSerializer
    ordering = ("created_at", "id")

    def rows(self, viewer: User) -> QuerySet[Any]:
        return selectors.issue_links_for(viewer, self.ticket())

    @extend_schema(responses={200: ExternalLinkSerializer(many=True), **READ_ERRORS},
                   summary="Tracker issues linked to a ticket")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ExternalLinkInput, responses={201: ExternalLinkSerializer, **WRITE_ERRORS},
                   summary="Link a tracker issue (its state is fetched in the background)")
    def post(self, request: Request, number: int) -> Response:
        viewer = viewer_of(request)
        ticket = self.ticket()
        data = valid(ExternalLinkInput, request.data, request)
        link = services.issue_link(actor=viewer, ticket_id=ticket.pk, connection_id=data["connection"],
                                   reference=data["reference"], now=timezone.now())
        link = selectors.issue_links_for(viewer, ticket).get(pk=link.pk)
        return Response(ExternalLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class TicketExternalLinkView(APIView):
    @extend_schema(responses={204: None, **WRITE_ERRORS}, summary="Unlink a tracker issue")
    def delete(self, request: Request, number: int, link_id: int) -> Response:
        viewer = viewer_of(request)
        ticket = api_selectors.ticket_for(viewer, number)
        selectors.issue_links_for(viewer, ticket)  # 403 for who may not see the links, before anything else
        services.issue_unlink(actor=viewer, ticket_id=ticket.pk, link_id=link_id, now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)
