"""Secrets at rest (tracker tokens, the SMTP password): Fernet with a key derived from the installation's
SECRET_KEY and a purpose, so each kind of secret has its own key.

A database dump alone does not reveal them. Changing SECRET_KEY makes stored secrets unreadable: they then
read as empty (logged), and the admin enters them again."""

from __future__ import annotations

import base64
import logging

from cryptography.fernet import Fernet, InvalidToken
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)


def _fernet(purpose: str) -> Fernet:
    digest = salted_hmac(purpose, "fernet-key", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(value: str, *, purpose: str) -> str:
    return _fernet(purpose).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(value: str, *, purpose: str) -> str:
    if not value:
        return ""
    try:
        return _fernet(purpose).decrypt(value.encode("ascii")).decode("utf-8")
    except InvalidToken:
        logger.warning("a stored secret (%s) cannot be decrypted (SECRET_KEY changed?)", purpose)
        return ""
