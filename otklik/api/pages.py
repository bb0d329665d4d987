"""Server-rendered pages of the API part: personal tokens, and the reference generated from the schema."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from drf_spectacular.generators import SchemaGenerator

from otklik.accounts.models import User
from otklik.api.models import Scope
from otklik.api.tokens import scopes_allowed, token_create, token_revoke, tokens_of
from otklik.core.errors import DomainError, InvalidInput

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("Where the token is used."))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), widget=forms.CheckboxSelectMultiple, choices=Scope.choices, initial=[Scope.READ]
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=_("Empty: never expires."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = scopes_allowed(user)
        self.fields["scopes"].choices = [(value, label) for value, label in Scope.choices if value in allowed]  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def tokens_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    issued = None
    form = TokenForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        days = form.cleaned_data["expires_in_days"]
        try:
            issued = token_create(
                actor=user,
                user=user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                now=now,
                expires_at=now + timedelta(days=days) if days else None,
            )
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            form = TokenForm(user=user)
    # The secret is rendered in this response only, never stored or redirected through a URL.
    response = render(request, "api/tokens.html", {"form": form, "issued": issued, "tokens": tokens_of(user)})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke_page(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = token_revoke(actor=_user(request), token_id=token_id, now=timezone.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api:tokens")


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = SchemaGenerator().get_schema(  # type: ignore[no-untyped-call]
        request=None, public=True
    )
    return schema


def _ref_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return f"[{_ref_name(schema['items'])}]"
    return str(schema.get("type", "object"))


def reference_sections(schema: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, item in schema.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            operation = item[method]
            body = operation.get("requestBody", {}).get("content", {})
            responses = []
            for code, response in operation.get("responses", {}).items():
                content: dict[str, Any] = response.get("content", {})
                first: tuple[str, dict[str, Any]] = next(iter(content.items()), ("", {}))
                media, media_schema = first
                responses.append(
                    {
                        "code": code,
                        "media": media,
                        "schema": _ref_name(media_schema.get("schema") if media_schema else None),
                        "description": response.get("description", ""),
                    }
                )
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "id": operation.get("operationId", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _ref_name(p.get("schema")),
                            "description": p.get("description", ""),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "body": [
                        {"media": media, "schema": _ref_name(value.get("schema"))} for media, value in body.items()
                    ],
                    "responses": responses,
                }
            )
    return operations


def reference_components(schema: dict[str, Any]) -> list[dict[str, Any]]:
    components = []
    for name, component in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(component.get("required", []))
        fields = [
            {
                "name": field,
                "type": _ref_name(spec) if isinstance(spec, dict) else "",
                "required": field in required,
                "read_only": isinstance(spec, dict) and spec.get("readOnly", False),
                "description": spec.get("description", "") if isinstance(spec, dict) else "",
                "enum": spec.get("enum") if isinstance(spec, dict) else None,
            }
            for field, spec in component.get("properties", {}).items()
        ]
        components.append(
            {
                "name": name,
                "fields": fields,
                "enum": component.get("enum"),
                "description": component.get("description", ""),
            }
        )
    return components


def docs_page(request: HttpRequest) -> HttpResponse:
    """A reference page that loads nothing from outside the server."""
    schema = _schema()
    return render(
        request,
        "api/docs.html",
        {
            "info": schema.get("info", {}),
            "operations": reference_sections(schema),
            "components": reference_components(schema),
        },
    )
