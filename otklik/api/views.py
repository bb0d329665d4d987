"""REST endpoints: parse, call one selector or service, serialise. Nothing here decides who may do what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Model, Q, QuerySet, prefetch_related_objects
from django.http import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, Serializer
from rest_framework.views import APIView

from otklik.accounts.models import User
from otklik.api import answers, inputs, selectors
from otklik.api import serializers as s
from otklik.core.errors import NotFound
from otklik.reports.drill import drill_tickets
from otklik.reports.exports import FORMATS, streamed, tickets_table
from otklik.search.filters import with_text_matches
from otklik.sla import selectors as sla_selectors
from otklik.tickets import changes, services
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets.models import Source, Ticket
from otklik.tickets.selectors import SORTS, TicketFilters
from otklik.tickets.tags import ticket_change_tags

ERROR = OpenApiResponse(
    response={
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                "required": ["code", "message", "fields"],
            }
        },
        "required": ["error"],
    },
    description="An error with a stable code.",
)
READ_ERRORS: dict[int, OpenApiResponse] = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 429: ERROR}
WRITE_ERRORS: dict[int, OpenApiResponse] = {**READ_ERRORS, 409: ERROR}


def viewer_of(request: Request) -> User:
    user = request.user
    if not isinstance(user, User):  # IsAuthenticated runs first; this only narrows the type
        raise NotFound()
    return user


def _blank_values(serializer: Serializer[Any], data: Any) -> dict[str, str]:
    """Fields sent with an empty value that they do not accept. DRF silently drops `?role=` or
    `?updated_before=` from a query string (as if absent), so a client's typo would widen a list;
    say so instead."""
    if not hasattr(data, "keys"):
        return {}
    errors: dict[str, str] = {}
    for name, field in serializer.fields.items():
        # Required fields already answer "may not be blank"; optional ones would be silently dropped.
        if name not in data or field.read_only or field.required or getattr(field, "allow_blank", False):
            continue
        values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
        if any(value == "" for value in values):
            errors[name] = _("An empty value is not allowed here: leave the field out instead.")
    return errors


def valid(serializer_class: type[Serializer[Any]], data: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request})
    blank = _blank_values(serializer, data)
    if blank:
        raise ValidationError(blank)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


TICKET_FIELDS_PREFETCH = ("request_type__fields",)


def ticket_rows(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    # Staff-only custom fields are hidden from requesters, which needs each request type's fields.
    return queryset.prefetch_related(*TICKET_FIELDS_PREFETCH, "tags")


TICKET_RELATED = ("status", "priority", "requester", "assignee", "organization", "team", "category", "request_type")


def ticket_response(request: Request, ticket: Ticket, status_code: int = status.HTTP_200_OK) -> Response:
    """The ticket as the viewer now sees it; after a write that took it out of their view (handed to
    another team), what they just wrote is still theirs to see."""
    viewer = viewer_of(request)
    try:
        fresh = ticket_selectors.ticket_get_for(viewer, ticket.pk)
    except NotFound:
        fresh = Ticket.objects.select_related(*TICKET_RELATED).get(pk=ticket.pk)
    return Response(s.TicketSerializer(fresh, context={"request": request}).data, status=status_code)


def ticket_created_response(request: Request, ticket: Ticket) -> Response:
    """A new ticket as its creator sees it. The creator is its requester or the staff member who wrote it
    on their behalf, and either sees what they just wrote (see `ticket_response`), so it is answered from
    what the service wrote, not through the visibility query: the service hands back the row as committed
    (an assignment rule that routed it on creation refreshes that copy, `automation.receivers`). Related
    rows the service did not hold (a requester's organization) are read only if missing."""
    missing = [name for name in TICKET_RELATED
               if getattr(ticket, Ticket._meta.get_field(name).attname) is not None  # type: ignore[union-attr]
               and not Ticket._meta.get_field(name).is_cached(ticket)]  # type: ignore[union-attr]
    if missing:
        prefetch_related_objects([ticket], *missing)
    # The list rule for internal fields (staff who handle it) instead of a second visibility query; the
    # answer is written out from those rows (`answers.ticket_answer`, equal to TicketSerializer's).
    viewer = viewer_of(request)
    staff = ticket.pk in selectors.staff_ticket_ids(viewer, [ticket.pk])
    return Response(answers.ticket_answer(viewer, ticket, staff=staff), status=status.HTTP_201_CREATED)


class ListEndpoint(GenericAPIView[Any]):
    """A cursor-paginated list; `ordering` must end in a unique key."""

    ordering: tuple[str, ...] = ("id",)
    output: type[BaseSerializer[Any]]

    def get_ordering(self) -> tuple[str, ...]:
        return self.ordering

    def rows(self, viewer: User) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return self.output.Meta.model.objects.none()  # type: ignore[attr-defined,no-any-return]
        return self.rows(viewer_of(self.request))

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return self.output

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        serializer = self.output(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)


# ---------------------------------------------------------------- the current user and the directory


class MeView(APIView):
    @extend_schema(responses={200: s.MeSerializer, **READ_ERRORS}, summary="The current user")
    def get(self, request: Request) -> Response:
        viewer = viewer_of(request)
        user = User.objects.select_related("organization").prefetch_related("teams").get(pk=viewer.pk)
        return Response(s.MeSerializer(user, context={"request": request}).data)


@extend_schema(parameters=[inputs.DirectoryQuery], responses={200: s.UserSerializer(many=True), **READ_ERRORS})
class UserListView(ListEndpoint):
    output = s.UserSerializer
    ordering = ("email", "id")

    def rows(self, viewer: User) -> QuerySet[User]:
        query = valid(inputs.DirectoryQuery, self.request.query_params, self.request)
        users = selectors.users_visible_to(viewer)
        if query.get("q"):
            text = query["q"]
            users = users.filter(
                Q(email__icontains=text) | Q(first_name__icontains=text) | Q(last_name__icontains=text)
            )
        if query.get("role"):
            users = users.filter(role=query["role"])
        if query.get("organization"):
            users = users.filter(organization_id=query["organization"])
        return users


class UserDetailView(APIView):
    @extend_schema(responses={200: s.UserSerializer, **READ_ERRORS})
    def get(self, request: Request, user_id: int) -> Response:
        user = selectors.users_visible_to(viewer_of(request)).filter(pk=user_id).first()
        if user is None:
            raise NotFound()
        return Response(s.UserSerializer(user, context={"request": request}).data)


@extend_schema(responses={200: s.OrganizationSerializer(many=True), **READ_ERRORS})
class OrganizationListView(ListEndpoint):
    output = s.OrganizationSerializer
    ordering = ("name", "id")

    def rows(self, viewer: User) -> QuerySet[Any]:
        return selectors.organizations_visible_to(viewer)


@extend_schema(responses={200: s.TeamSerializer(many=True), **READ_ERRORS})
class TeamListView(ListEndpoint):
    output = s.TeamSerializer
    ordering = ("name", "id")

    def rows(self, viewer: User) -> QuerySet[Any]:
        return selectors.teams_visible_to(viewer)


@extend_schema(responses={200: s.StatusSerializer(many=True), **READ_ERRORS})
class StatusListView(ListEndpoint):
    output = s.StatusSerializer
    ordering = ("order", "id")

    def rows(self, viewer: User) -> QuerySet[Any]:
        return selectors.statuses()


@extend_schema(responses={200: s.PrioritySerializer(many=True), **READ_ERRORS})
class PriorityListView(ListEndpoint):
    output = s.PrioritySerializer
    ordering = ("-rank", "id")

    def rows(self, viewer: User) -> QuerySet[Any]:
        return selectors.priorities()


@extend_schema(responses={200: s.CategorySerializer(many=True), **READ_ERRORS})
class CategoryListView(ListEndpoint):
    output = s.CategorySerializer
    ordering = ("path", "id")

    def rows(self, viewer: User) -> QuerySet[Any]:
        return selectors.categories()


@extend_schema(responses={200: s.RequestTypeSerializer(many=True), **READ_ERRORS})
class RequestTypeListView(ListEndpoint):
    output = s.RequestTypeSerializer
    ordering = ("group", "order", "name", "id")

    def rows(self, viewer: User) -> QuerySet[Any]:
        return selectors.request_types_for(viewer)


class RequestTypeDetailView(APIView):
    @extend_schema(responses={200: s.RequestTypeSerializer, **READ_ERRORS})
    def get(self, request: Request, code: str) -> Response:
        request_type = selectors.request_types_for(viewer_of(request)).filter(code=code).first()
        if request_type is None:
            raise NotFound()
        return Response(s.RequestTypeSerializer(request_type, context={"request": request}).data)


# ---------------------------------------------------------------- tickets


class TicketListView(ListEndpoint):
    output = s.TicketSerializer

    def get_ordering(self) -> tuple[str, ...]:
        return SORTS[self.sort]

    def rows(self, viewer: User) -> QuerySet[Ticket]:
        query = valid(inputs.TicketListQuery, self.request.query_params, self.request)
        self.sort = query.get("sort", "updated")
        filters = TicketFilters(
            status_codes=tuple(query.get("status", ())),
            status_kinds=tuple(query.get("status_kind", ())),
            priority_codes=tuple(query.get("priority", ())),
            category_ids=tuple(query.get("category", ())),
            team_ids=tuple(query.get("team", ())),
            assignee_ids=tuple(query.get("assignee", ())),
            unassigned=bool(query.get("unassigned")),
            requester_id=query.get("requester"),
            organization_id=query.get("organization"),
            sources=tuple(query.get("source", ())),
            request_type_ids=tuple(query.get("request_type", ())),
            created_from=query.get("created_after"),
            created_to=query.get("created_before"),
            updated_from=query.get("updated_after"),
            updated_to=query.get("updated_before"),
            text=query.get("q", ""),
            tags=tuple(query.get("tag", ())),
        )
        filters = with_text_matches(viewer, filters)  # `q` searches messages too, in any word form
        tickets = ticket_selectors.ticket_list(viewer, filters, sort=self.sort)
        report = self.request.query_params.get("report", "")
        if report:  # the tickets behind a report's number (docs/reports.md)
            tickets = tickets.filter(pk__in=drill_tickets(viewer, report).values("pk"))
        return ticket_rows(tickets)

    @extend_schema(
        parameters=[inputs.TicketListQuery],
        responses={200: s.TicketSerializer(many=True), **READ_ERRORS},
        summary="Tickets the caller may see, with the agent UI's filters and sorts",
    )
    def get(  # type: ignore[override]  # a download is a streamed file, not a DRF Response
        self, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        self.sort = "updated"
        fmt = request.query_params.get("format", "")
        if fmt in FORMATS:  # the whole filtered list as a streamed file, no page limit
            return streamed(tickets_table(self.get_queryset()), fmt, "tickets")
        page = self.paginate_queryset(self.get_queryset()) or []
        staff_ids = selectors.staff_ticket_ids(viewer_of(request), [ticket.pk for ticket in page])
        context = {"request": request, "staff_ticket_ids": staff_ids}
        return self.get_paginated_response(s.TicketSerializer(page, many=True, context=context).data)

    @extend_schema(
        request=inputs.TicketCreateInput,
        responses={201: s.TicketSerializer, **WRITE_ERRORS},
        summary="Open a ticket (staff: on behalf of a requester)",
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        data = valid(inputs.TicketCreateInput, request.data, request)
        requester = data.get("requester") or viewer
        options: dict[str, Any] = {
            "subject": data["subject"],
            "body_text": data["body_text"],
            "body_html": data["body_html"],
            "request_type": data.get("request_type"),
            "category": data.get("category"),
            "priority": data.get("priority"),
            "team": data.get("team"),
            "fields": data.get("fields") or {},
            "watchers": data.get("watchers") or (),
            "now": timezone.now(),
        }
        if requester.pk != viewer.pk:
            ticket = services.ticket_create_on_behalf(
                actor=viewer, requester=requester, source=data["source"], **options
            )
        else:
            ticket = services.ticket_create(actor=viewer, requester=viewer, source=Source.API, **options)
        return ticket_created_response(request, ticket)


class TicketDetailView(APIView):
    @extend_schema(responses={200: s.TicketSerializer, **READ_ERRORS}, summary="One ticket, by its number")
    def get(self, request: Request, number: int) -> Response:
        # One read (its visibility and the viewer's `handles` in the same statement), shown as it is.
        ticket = ticket_selectors.ticket_read_by_number(viewer_of(request), number)
        return Response(s.TicketSerializer(ticket, context={"request": request}).data)

    @extend_schema(
        request=inputs.TicketUpdateInput,
        responses={200: s.TicketSerializer, **WRITE_ERRORS},
        summary="Change a ticket's fields; all changes apply together or none",
    )
    def patch(self, request: Request, number: int) -> Response:
        viewer = viewer_of(request)
        ticket = selectors.ticket_for(viewer, number)
        data = valid(inputs.TicketUpdateInput, request.data, request)
        now = timezone.now()
        common: dict[str, Any] = {"actor": viewer, "ticket_id": ticket.pk, "now": now}
        with transaction.atomic():
            if "request_type" in data:
                changes.ticket_change_request_type(
                    **common, request_type=data["request_type"], fields=data.get("fields")
                )
            elif "fields" in data:
                changes.ticket_set_fields(**common, values=data["fields"])
            if "subject" in data:
                changes.ticket_change_subject(**common, subject=data["subject"])
            if "tags" in data:
                ticket_change_tags(**common, replace=data["tags"])
            if "category" in data:
                changes.ticket_change_category(**common, category=data["category"])
            if "team" in data:
                changes.ticket_change_team(**common, team=data["team"])
            if "priority" in data:
                changes.ticket_change_priority(**common, priority=data["priority"])
            if "assignee" in data:
                changes.ticket_assign(**common, assignee=data["assignee"])
            if "status" in data:
                changes.ticket_change_status(**common, status=data["status"])
        return ticket_response(request, ticket)


def _ticket_action(
    request: Request,
    number: int,
    action: Callable[[User, Ticket], Model | None],
    status_code: int = status.HTTP_200_OK,
) -> Response:
    viewer = viewer_of(request)
    ticket = selectors.ticket_for(viewer, number)
    result = action(viewer, ticket)
    return ticket_response(request, result if isinstance(result, Ticket) else ticket, status_code)


class TicketStatusView(APIView):
    @extend_schema(
        request=inputs.StatusInput,
        responses={200: s.TicketSerializer, **WRITE_ERRORS},
        summary="Move a ticket to a status",
    )
    def post(self, request: Request, number: int) -> Response:
        data = valid(inputs.StatusInput, request.data, request)
        return _ticket_action(
            request,
            number,
            lambda viewer, ticket: changes.ticket_change_status(
                actor=viewer, ticket_id=ticket.pk, status=data["status"], now=timezone.now(),
                happened_at=data.get("happened_at"),
            ),
        )


class TicketAssignView(APIView):
    @extend_schema(
        request=inputs.AssignInput,
        responses={200: s.TicketSerializer, **WRITE_ERRORS},
        summary="Assign a ticket to an agent, or unassign it with null",
    )
    def post(self, request: Request, number: int) -> Response:
        data = valid(inputs.AssignInput, request.data, request)
        return _ticket_action(
            request,
            number,
            lambda viewer, ticket: changes.ticket_assign(
                actor=viewer, ticket_id=ticket.pk, assignee=data["assignee"], now=timezone.now()
            ),
        )


class TicketResolveView(APIView):
    @extend_schema(request=None, responses={200: s.TicketSerializer, **WRITE_ERRORS}, summary="Resolve")
    def post(self, request: Request, number: int) -> Response:
        return _ticket_action(
            request,
            number,
            lambda viewer, ticket: changes.ticket_resolve(actor=viewer, ticket_id=ticket.pk, now=timezone.now()),
        )


class TicketCloseView(APIView):
    @extend_schema(request=None, responses={200: s.TicketSerializer, **WRITE_ERRORS}, summary="Close")
    def post(self, request: Request, number: int) -> Response:
        return _ticket_action(
            request,
            number,
            lambda viewer, ticket: changes.ticket_close(actor=viewer, ticket_id=ticket.pk, now=timezone.now()),
        )


class TicketReopenView(APIView):
    @extend_schema(request=None, responses={200: s.TicketSerializer, **WRITE_ERRORS}, summary="Reopen")
    def post(self, request: Request, number: int) -> Response:
        return _ticket_action(
            request,
            number,
            lambda viewer, ticket: changes.ticket_reopen(actor=viewer, ticket_id=ticket.pk, now=timezone.now()),
        )


class TicketMergeView(APIView):
    @extend_schema(
        request=inputs.MergeInput,
        responses={200: s.TicketSerializer, **WRITE_ERRORS},
        summary="Merge this ticket into another; answers with the receiving ticket",
    )
    def post(self, request: Request, number: int) -> Response:
        viewer = viewer_of(request)
        source = selectors.ticket_for(viewer, number)
        data = valid(inputs.MergeInput, request.data, request)
        target = selectors.ticket_for(viewer, data["into"])
        merged = changes.ticket_merge(actor=viewer, source_id=source.pk, target_id=target.pk, now=timezone.now())
        return ticket_response(request, merged)


class TicketRateView(APIView):
    @extend_schema(
        request=inputs.RateInput,
        responses={201: s.RatingSerializer, **WRITE_ERRORS},
        summary="The requester rates the answer (1 to 5)",
    )
    def post(self, request: Request, number: int) -> Response:
        viewer = viewer_of(request)
        ticket = selectors.ticket_for(viewer, number)
        data = valid(inputs.RateInput, request.data, request)
        rating = changes.ticket_rate(
            actor=viewer,
            ticket_id=ticket.pk,
            score=data["score"],
            comment=data["comment"],
            now=timezone.now(),
        )
        return Response(s.RatingSerializer(rating).data, status=status.HTTP_201_CREATED)


class TicketWatchersView(APIView):
    @extend_schema(request=inputs.WatcherInput, responses={204: None, **WRITE_ERRORS}, summary="Add a watcher")
    def post(self, request: Request, number: int) -> Response:
        viewer = viewer_of(request)
        ticket = selectors.ticket_for(viewer, number)
        data = valid(inputs.WatcherInput, request.data, request)
        services.ticket_watch(actor=viewer, ticket_id=ticket.pk, user_id=data["user"].pk, now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)


class TicketWatcherView(APIView):
    @extend_schema(responses={204: None, **WRITE_ERRORS}, summary="Remove a watcher (anyone may stop watching)")
    def delete(self, request: Request, number: int, user_id: int) -> Response:
        viewer = viewer_of(request)
        ticket = selectors.ticket_for(viewer, number)
        services.ticket_unwatch(actor=viewer, ticket_id=ticket.pk, user_id=user_id, now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)


class TicketSlaView(APIView):
    @extend_schema(
        responses={200: s.TicketSlaSerializer, **READ_ERRORS},
        summary="The ticket's SLA clocks (staff; requesters get 404 like for any staff-only object)",
    )
    def get(self, request: Request, number: int) -> Response:
        ticket, clocks = sla_selectors.ticket_sla_for(viewer_of(request), number, timezone.now())
        return Response(s.TicketSlaSerializer({"ticket": ticket.number, "clocks": clocks}).data)
