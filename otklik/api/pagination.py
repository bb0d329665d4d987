"""Keyset ("cursor") pagination on every list.

A page is the rows after the last row of the previous page in the list's ordering, whose last key is
always the primary key, so rows are neither skipped nor repeated however deep the client reads. The
cursor is signed: a client cannot forge positions, and a mangled cursor is a clean 400.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import date, datetime
from functools import reduce
from typing import Any

from django.core import signing
from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

CURSOR_SALT = "otklik.api.cursor"
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def _value_at(row: Model, path: str) -> Any:
    value: Any = row
    for part in path.split("__"):
        value = getattr(value, part)
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return {"t": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        parsed = parse_datetime(str(value["t"]))
        if parsed is None:
            raise ValueError("bad timestamp")
        return parsed
    return value


def keyset_after(ordering: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows strictly after `values` in `ordering`: (a > x) or (a = x and b > y) or ..."""
    alternatives = []
    for index, key in enumerate(ordering):
        field = key.lstrip("-")
        lookup = "lt" if key.startswith("-") else "gt"
        equal = {ordering[i].lstrip("-"): values[i] for i in range(index)}
        alternatives.append(Q(**equal, **{f"{field}__{lookup}": values[index]}))
    return reduce(operator.or_, alternatives)


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    limit_query_param = "limit"

    def get_limit(self, request: Request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw in (None, ""):
            return DEFAULT_LIMIT
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError({self.limit_query_param: _("A whole number from 1 to 100.")})
        return limit

    def decode_cursor(self, request: Request, ordering: Sequence[str]) -> list[Any] | None:
        raw = request.query_params.get(self.cursor_query_param)
        if raw in (None, ""):
            return None
        try:
            payload = signing.loads(raw, salt=CURSOR_SALT)
            if payload.get("o") != list(ordering) or len(payload.get("v", [])) != len(ordering):
                raise ValueError("cursor of another ordering")
            return [_decode(value) for value in payload["v"]]
        except (signing.BadSignature, ValueError, TypeError, AttributeError) as exc:
            raise ValidationError({self.cursor_query_param: _("This cursor is not valid for this list.")}) from exc

    def paginate_queryset(
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, view: Any = None
    ) -> list[Any]:
        assert isinstance(queryset, QuerySet), "keyset pagination needs a queryset"
        ordering: tuple[str, ...] = tuple(view.get_ordering()) if view is not None else ("-pk",)
        limit = self.get_limit(request)
        after = self.decode_cursor(request, ordering)
        queryset = queryset.order_by(*ordering)
        if after is not None:
            queryset = queryset.filter(keyset_after(ordering, after))
        rows = list(queryset[: limit + 1])
        self.page = rows[:limit]
        self.request = request
        self.next_cursor: str | None = None
        if len(rows) > limit:
            last = self.page[-1]
            values = [_encode(_value_at(last, key.lstrip("-"))) for key in ordering]
            self.next_cursor = signing.dumps({"o": list(ordering), "v": values}, salt=CURSOR_SALT, compress=True)
        return self.page

    def get_next_link(self) -> str | None:
        if self.next_cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self.next_cursor)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": ["string", "null"],
                    "format": "uri",
                    "description": "The next page, or null on the last page.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The position returned as part of `next` by the previous page.",
                "schema": {"type": "string"},
            },
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": "Rows per page (1 to 100, default 25).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
        ]
