"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from otklik.accounts.decorators import is_staff_viewer


def ui(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    is_agent = is_staff_viewer(user)
    return {
        "is_agent": is_agent,
        # Read-only staff (auditors) are not offered what would only fail after submitting.
        "can_write": bool(is_agent and (getattr(user, "is_superuser", False) or getattr(user, "can_write", False))),
        "may_read_mail_log": bool(
            is_agent and (getattr(user, "is_superuser", False) or getattr(user, "role", "") in {"manager", "admin"})
        ),
        # Attachments shown as thumbnails; the download view serves them inline only when the bytes are images.
        "preview_types": ("image/png", "image/jpeg", "image/gif", "image/webp"),
        "list_refresh_seconds": getattr(settings, "OTKLIK_LIST_REFRESH_SECONDS", 30),
    }
