from __future__ import annotations

import logging
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest

logger = logging.getLogger(__name__)


class LockoutBackend(AxesStandaloneBackend):  # type: ignore[misc]  # axes ships no type hints
    """Refuses sign-in for a locked-out name and address; the password itself is checked by ModelBackend.

    Every sign-in form (the login page, the admin) passes the request. A call without a request comes
    from code, not from a visitor (the test client's login(), a management command), and there is no
    address to lock: it passes through to the password check instead of failing.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            logger.debug("authentication without a request: lockout not applied")
            return
        super().authenticate(request, username=username, password=password, **kwargs)
