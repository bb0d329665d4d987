"""Issuing, finding and revoking personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.db.models.expressions import Col
from django.utils.translation import gettext as _

from otklik.accounts.models import Organization, Role, User
from otklik.api.models import ApiToken, Scope
from otklik.core.errors import InvalidInput, NotFound, PermissionDenied

TOKEN_PREFIX = "otk_"  # noqa: S105 (a marker that makes leaked tokens greppable, not a secret)
# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to the owner once, never stored


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def scopes_allowed(user: User) -> list[str]:
    """Scopes a user may put on a token. A token only narrows: with `write`, a read-only auditor still
    changes nothing, because the role is checked on every write; `admin` is for administrators alone."""
    allowed = [Scope.READ.value, Scope.WRITE.value]
    if user.is_superuser or user.role == Role.ADMIN:
        allowed.append(Scope.ADMIN.value)
    return allowed


@transaction.atomic
def token_create(
    *,
    actor: User,
    user: User,
    name: str,
    scopes: Iterable[str],
    now: datetime,
    expires_at: datetime | None = None,
    requests_per_minute: int | None = None,
) -> IssuedToken:
    if actor.pk != user.pk and not (actor.is_superuser or actor.role == Role.ADMIN):
        raise PermissionDenied()
    if not user.is_active:
        raise InvalidInput(_("The user is not active."), errors={"user": _("The user is not active.")})
    name = " ".join(name.split())[:100] or _("API token")
    chosen = sorted(set(scopes)) or [Scope.READ.value]
    unknown = [scope for scope in chosen if scope not in Scope.values]
    if unknown:
        raise InvalidInput(
            _("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)},
            errors={"scopes": _("Choose among read, write and admin.")},
        )
    refused = [scope for scope in chosen if scope not in scopes_allowed(user)]
    if refused:
        raise InvalidInput(
            _("The role of %(user)s does not allow the scope %(scopes)s.")
            % {"user": user.email, "scopes": ", ".join(refused)},
            errors={"scopes": _("Not allowed for this user's role.")},
        )
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(_("The expiry must be in the future."), errors={"expires_at": _("In the past.")})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 8],
        digest=token_digest(secret),
        scopes=chosen,
        created_at=now,
        expires_at=expires_at,
        requests_per_minute=requests_per_minute,
    )
    return IssuedToken(token=token, secret=secret)


def token_find_active(secret: str, *, now: datetime) -> ApiToken | None:
    """The live token for a presented secret, with its owner and the owner's organization (one statement,
    read afresh on every request: a revoked or expired token, a deactivated owner or a changed role counts
    at once); None for unknown, revoked or expired."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = _token_with_owner(token_digest(secret))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    return token


@dataclass(frozen=True)
class _Part:
    """One model's columns in the token read: where they sit in the row and how each value is converted."""

    model: type[Model]
    attnames: tuple[str, ...]
    start: int
    converters: tuple[tuple[int, tuple[Any, ...], Col], ...]


# The token read's SQL and row layout per database alias: the same statement as
# `ApiToken.objects.select_related("user", "user__organization").filter(digest=...)`, written once, because
# compiling that three-table query was most of an API request's authentication (issue #16, creates round 5).
_TOKEN_READS: dict[str, tuple[str, tuple[_Part, ...]]] = {}


def _token_read(alias: str, connection: BaseDatabaseWrapper) -> tuple[str, tuple[_Part, ...]]:
    built = _TOKEN_READS.get(alias)
    if built is not None:
        return built
    quote = connection.ops.quote_name
    tables = (("t", ApiToken), ("u", User), ("o", Organization))
    columns: list[str] = []
    parts: list[_Part] = []
    for table_alias, model in tables:
        fields = list(model._meta.concrete_fields)
        converters = []
        for index, field in enumerate(fields):
            # What Django's compiler applies to a selected column (SQLCompiler.get_converters).
            selected = field.get_col(table_alias)
            found = [*connection.ops.get_db_converters(selected), *selected.get_db_converters(connection)]
            if found:
                converters.append((index, tuple(found), selected))
        parts.append(_Part(model, tuple(field.attname for field in fields), len(columns), tuple(converters)))
        columns += [f"{table_alias}.{quote(cast(str, field.column))}" for field in fields]

    def column(model: type[Model], name: str) -> str:
        return quote(cast(str, cast(Field[Any, Any], model._meta.get_field(name)).column))

    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(ApiToken._meta.db_table)} t "  # noqa: S608 (names only)
        f"INNER JOIN {quote(User._meta.db_table)} u ON u.{column(User, 'id')} = t.{column(ApiToken, 'user')} "
        f"LEFT OUTER JOIN {quote(Organization._meta.db_table)} o "
        f"ON o.{column(Organization, 'id')} = u.{column(User, 'organization')} "
        f"WHERE t.{column(ApiToken, 'digest')} = %s"
    )
    built = _TOKEN_READS[alias] = (sql, tuple(parts))
    return built


def _token_with_owner(digest: str) -> ApiToken | None:
    alias = router.db_for_read(ApiToken)
    connection = connections[alias]
    sql, parts = _token_read(alias, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    token_part, user_part, organization_part = parts
    token = cast(ApiToken, _instance(token_part, row, alias, connection))
    user = cast(User, _instance(user_part, row, alias, connection))
    # As select_related leaves them: the owner and their organization (or its absence) are already known.
    ApiToken._meta.get_field("user").set_cached_value(token, user)
    User._meta.get_field("organization").set_cached_value(
        user, _instance(organization_part, row, alias, connection) if user.organization_id is not None else None
    )
    return token


def _instance(part: _Part, row: tuple[Any, ...], alias: str, connection: BaseDatabaseWrapper) -> Model:
    values = list(row[part.start:part.start + len(part.attnames)])
    for index, converters, column in part.converters:
        value = values[index]
        for converter in converters:
            value = converter(value, column, connection)
        values[index] = value
    return part.model.from_db(alias, part.attnames, values)


def token_mark_used(token: ApiToken, *, now: datetime) -> None:
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def token_revoke(*, actor: User | None, token_id: int, now: datetime) -> ApiToken:
    """`actor=None` is the console operator, who may revoke any token."""
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None:
        raise NotFound()
    if actor is not None and token.user_id != actor.pk and not (actor.is_superuser or actor.role == Role.ADMIN):
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
    return token


def tokens_of(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user))
