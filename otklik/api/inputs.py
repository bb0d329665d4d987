"""The validated input of every API write and the query parameters of its lists.

They only parse; the services decide (permissions, state rules, custom field validation).
"""

from __future__ import annotations

import copy
from typing import Any

from rest_framework import serializers
from rest_framework.fields import Field

from otklik.accounts.models import Role, Team, User
from otklik.api.serializers import MAX_BODY, FieldValuesField, id_field
from otklik.tickets.models import Category, LinkKind, Priority, RequestType, Source, Status, StatusKind


def _fresh(field: Field[Any, Any, Any, Any]) -> Field[Any, Any, Any, Any]:
    """A new field made from the arguments `field` was declared with: field arguments (a list's child, a
    many-relation's child) are copied, anything else is shared, querysets above all (DRF asks `.all()` of a
    relation's queryset before it reads, so the declared one is never evaluated)."""
    def fresh(value: Any) -> Any:
        return copy.deepcopy(value) if isinstance(value, Field) else value

    args: Any = field._args  # type: ignore[attr-defined]  # kept by Field.__new__ for exactly this
    kwargs: dict[str, Any] = field._kwargs  # type: ignore[attr-defined]
    return type(field)(*(fresh(arg) for arg in args), **{key: fresh(value) for key, value in kwargs.items()})


# (A comment, not a docstring: the inputs inherit docstrings, and the schema would show this one.)
# An input's fields are made anew per request without deep-copying the declared ones. DRF deep-copies each
# declared field for every serializer instance (`Field.__deepcopy__`), querysets and choices included; that was
# most of an API create's input validation (issue #16, creates round 5). The fields are the same classes made
# from the same arguments, so validation and its messages are too.
class Input(serializers.Serializer[Any]):

    def get_fields(self) -> dict[str, Field[Any, Any, Any, Any]]:
        return {name: _fresh(field) for name, field in self._declared_fields.items()}


def body_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_BODY, default="", trim_whitespace=False, **kwargs
    )


class TicketCreateInput(Input):
    subject = serializers.CharField(max_length=500)
    body_text = body_field()
    body_html = body_field(help_text="Sanitised on arrival.")
    request_type = serializers.SlugRelatedField(
        slug_field="code",
        queryset=RequestType.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    priority = serializers.SlugRelatedField(
        slug_field="code", queryset=Priority.objects.all(), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    fields = FieldValuesField(required=False)  # type: ignore[assignment]
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Staff only: open the ticket on behalf of this user.",
    )
    source = serializers.ChoiceField(  # type: ignore[assignment]
        Source.choices,
        required=False,
        default=Source.API,
        help_text="Staff only, with `requester`: the channel the request came by (e.g. phone).",
    )
    watchers = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )


class TicketUpdateInput(Input):
    subject = serializers.CharField(max_length=500, required=False)
    status = serializers.SlugRelatedField(slug_field="code", queryset=Status.objects.all(), required=False)
    priority = serializers.SlugRelatedField(slug_field="code", queryset=Priority.objects.all(), required=False)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    request_type = serializers.SlugRelatedField(
        slug_field="code",
        queryset=RequestType.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    fields = FieldValuesField(  # type: ignore[assignment]
        required=False,
        help_text="Values to change; an empty value clears a field. With `request_type`: all its values.",
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100, allow_blank=False), required=False, max_length=30,
        help_text="The ticket's tags after the change (replaces them all); [] removes every tag.",
    )


def happened_at_field() -> serializers.DateTimeField:
    return serializers.DateTimeField(
        required=False, allow_null=True,
        help_text="Staff: when a call or message logged afterwards really happened (not before the ticket was "
                  "created, not in the future). SLA clocks are computed with this instant.",
    )


class ReplyInput(Input):
    body_text = body_field()
    body_html = body_field()
    status = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Status.objects.all(),
        required=False,
        allow_null=True,
        help_text="Staff: also move the ticket to this status.",
    )
    happened_at = happened_at_field()
    send_anyway = serializers.BooleanField(
        required=False, default=False,
        help_text="Staff: send a reply held for forbidden words (409 reply_held) anyway.",
    )


class NoteInput(Input):
    body_text = body_field()
    body_html = body_field()


class AttachmentUploadInput(Input):
    file = serializers.FileField(max_length=255, allow_empty_file=True)
    body_text = body_field(help_text="Optional text of the reply or note that carries the file.")
    internal = serializers.BooleanField(default=False, help_text="Staff: attach to an internal note.")


class StatusInput(Input):
    status = serializers.SlugRelatedField(slug_field="code", queryset=Status.objects.all())
    happened_at = happened_at_field()


class AssignInput(Input):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), allow_null=True)


class MergeInput(Input):
    into = id_field(help_text="Number of the ticket that receives this one's conversation.")


class LinkInput(Input):
    ticket = id_field(help_text="Number of the other ticket.")
    kind = serializers.ChoiceField(LinkKind.choices)


class RateInput(Input):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class WatcherInput(Input):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class TicketListQuery(Input):
    """The agent UI's filters, as query parameters; repeat a parameter to give several values."""

    SORT_CHOICES = (
        ("updated", "updated"),
        ("created", "created"),
        ("priority", "priority"),
        ("number", "number"),
    )

    status = serializers.ListField(child=serializers.SlugField(max_length=50), required=False)
    status_kind = serializers.ListField(child=serializers.ChoiceField(StatusKind.choices), required=False)
    priority = serializers.ListField(child=serializers.SlugField(max_length=50), required=False)
    category = serializers.ListField(child=id_field(), required=False)
    team = serializers.ListField(child=id_field(), required=False)
    assignee = serializers.ListField(child=id_field(), required=False)
    unassigned = serializers.BooleanField(required=False, default=False)
    requester = id_field(required=False)
    organization = id_field(required=False)
    source = serializers.ListField(  # type: ignore[assignment]
        child=serializers.ChoiceField(Source.choices), required=False
    )
    request_type = serializers.ListField(child=id_field(), required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    updated_after = serializers.DateTimeField(required=False)
    updated_before = serializers.DateTimeField(required=False)
    tag = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, help_text="Tickets with any of these tags."
    )
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Subject text or number.")
    sort = serializers.ChoiceField(SORT_CHOICES, required=False, default="updated")
    report = serializers.CharField(required=False, max_length=2000,
                                   help_text="The tickets behind a report's number (the link a report gives).")
    format = serializers.ChoiceField((("csv", "csv"), ("xlsx", "xlsx")), required=False,
                                     help_text="Download the whole filtered list as a streamed file.")


class DirectoryQuery(Input):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    role = serializers.ChoiceField(Role.choices, required=False)
    organization = id_field(required=False)


