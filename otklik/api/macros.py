"""Macros over the API: the ones the caller may apply, and applying one to a ticket (automation.macros)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from otklik.accounts.models import User
from otklik.api import serializers as s
from otklik.api.views import READ_ERRORS, WRITE_ERRORS, ListEndpoint, _ticket_action
from otklik.automation.macros import macro_apply, macro_summary, macros_offered_to
from otklik.automation.models import Macro


class MacroSerializer(serializers.ModelSerializer[Macro]):
    team = s.NamedRefSerializer(allow_null=True)
    scope = serializers.SerializerMethodField(help_text="personal, team or shared")
    actions = serializers.SerializerMethodField(help_text="What the macro does, in the caller's language.")

    class Meta:
        model = Macro
        fields: tuple[str, ...] = ("id", "title", "title_ru", "scope", "team", "actions")

    @extend_schema_field(OpenApiTypes.STR)
    def get_scope(self, macro: Macro) -> str:
        return "personal" if macro.owner_id else ("team" if macro.team_id else "shared")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, macro: Macro) -> list[str]:
        return macro_summary(macro)


class MacroListView(ListEndpoint):
    """Macros offered to the caller; none for people who change no tickets (requesters, auditors)."""

    output = MacroSerializer
    ordering = ("id",)

    def rows(self, viewer: User) -> QuerySet[Macro]:
        if not (viewer.is_superuser or viewer.can_write):
            return Macro.objects.none()
        return macros_offered_to(viewer).order_by("id")

    @extend_schema(responses={200: MacroSerializer(many=True), **READ_ERRORS}, summary="Macros the caller may apply")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class TicketMacroApplyView(APIView):
    @extend_schema(
        request=None,
        responses={200: s.TicketSerializer, **WRITE_ERRORS},
        summary="Apply a macro: each of its changes as the caller, all or nothing",
    )
    def post(self, request: Request, number: int, macro_id: int) -> Response:
        return _ticket_action(
            request,
            number,
            lambda viewer, ticket: (
                macro_apply(actor=viewer, ticket_id=ticket.pk, macro_id=macro_id, now=timezone.now()).ticket
            ),
        )
