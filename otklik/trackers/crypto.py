"""Tracker credentials at rest: Fernet with a key derived from the installation's SECRET_KEY.

A database dump alone does not reveal the API tokens. Changing SECRET_KEY makes the stored tokens
unreadable: they then read as empty, and the connection's test shows the tracker refusing, so the admin
enters them again.
"""

from __future__ import annotations

import base64
import logging

from cryptography.fernet import Fernet, InvalidToken
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)


def _fernet() -> Fernet:
    digest = salted_hmac("otklik.trackers.credentials", "fernet-key", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(value: str) -> str:
    if not value:
        return ""
    try:
        return _fernet().decrypt(value.encode("ascii")).decode("utf-8")
    except InvalidToken:
        logger.warning("tracker credentials cannot be decrypted (SECRET_KEY changed?)")
        return ""
