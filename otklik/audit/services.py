"""Writing audit entries. Recording never breaks the action it records: a failure is logged instead."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from otklik.audit.context import request_now
from otklik.audit.models import AuditEntry
from otklik.security.network import client_ip

logger = logging.getLogger(__name__)


def _request_user(request: HttpRequest | None) -> Any:
    if request is None:
        return None
    user = getattr(request, "user", None)
    if user is None or isinstance(user, AnonymousUser) or not getattr(user, "is_authenticated", False):
        return None
    return user


def audit_record(
    kind: str,
    *,
    request: HttpRequest | None = None,
    actor: Any = None,
    login_name: str = "",
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry | None:
    """Record one entry. The actor defaults to the signed-in user of the request being served."""
    request = request if request is not None else request_now()
    if actor is None:
        actor = _request_user(request)
    entry = AuditEntry(
        kind=kind,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_email=(getattr(actor, "email", "") or "")[:254] if actor is not None else "",
        login_name=(login_name or "")[:254],
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
        path=(request.path if request is not None else "")[:300],
        changes=changes or {},
        created_at=now or timezone.now(),
    )
    if obj is not None:
        entry.object_type = obj._meta.label_lower[:100]
        entry.object_id = str(obj.pk)[:64]
        entry.object_repr = str(obj)[:200]
    try:
        with transaction.atomic():
            entry.save()
    except DatabaseError:
        logger.exception("audit entry %s could not be written", kind)
        return None
    return entry
