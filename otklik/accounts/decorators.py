"""The one "support staff only" gate for server-rendered pages (issue 11).

Staff are those `access.can_see_internal` names: active agents, managers, read-only auditors and
administrators (and superusers). Auditors pass too: the pages behind it read, and every write on them is
refused by its service (`ensure_can`, `ensure_staff_writer`). Anyone else gets the same 404 as for a
missing page, so the staff side cannot be probed."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponseBase

from otklik.accounts.access import can_see_internal
from otklik.accounts.models import User


def is_staff_viewer(user: Any) -> bool:
    """Whether the signed-in person (or AnonymousUser) is support staff."""
    return isinstance(user, User) and can_see_internal(user)


def staff_required[View: Callable[..., HttpResponseBase]](view: View) -> View:
    """Signed-in support staff only; anyone else gets the same 404 as for a missing page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_staff_viewer(request.user):
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
