"""Signed references to tickets in our outgoing mail: the Message-ID and the Reply-To plus-address.

A reply that carries one of them belongs to that ticket for sure. They are signed with the installation
secret, so nobody can write into another person's ticket by guessing a number (the forged Message-ID
advisory FreeScout had, GHSA-6r38-6mcf-2ww3).
"""

from __future__ import annotations

import hmac
import re
import secrets
from hashlib import sha256

from django.conf import settings

_MESSAGE_ID = re.compile(r"^otk\.(\d+)\.([A-Za-z0-9]+)\.([0-9a-f]{12})@", re.IGNORECASE)
_PLUS_TOKEN = re.compile(r"^[^@+]+\+t(\d+)\.([0-9a-f]{10})@", re.IGNORECASE)


def _signature(payload: str, length: int) -> str:
    key = f"otklik-mail:{settings.SECRET_KEY}".encode()
    return hmac.new(key, payload.encode(), sha256).hexdigest()[:length]


def mail_domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower() if "@" in address else "otklik.localhost"


def message_id_new(*, ticket_number: int, domain: str) -> str:
    """'otk.<ticket>.<random>.<signature>@domain', without angle brackets."""
    nonce = secrets.token_hex(6)
    return f"otk.{ticket_number}.{nonce}.{_signature(f'{ticket_number}.{nonce}', 12)}@{domain}"


def message_id_ticket_number(message_id: str) -> int | None:
    """The ticket number a Message-ID of ours names, if its signature verifies."""
    match = _MESSAGE_ID.match(message_id or "")
    if match is None:
        return None
    number, nonce, signature = match.groups()
    if not hmac.compare_digest(signature.lower(), _signature(f"{number}.{nonce}", 12)):
        return None
    return int(number)


def looks_like_our_message_id(message_id: str) -> bool:
    return _MESSAGE_ID.match(message_id or "") is not None


def reply_address(*, ticket_number: int, address: str) -> str:
    """support@example.com -> support+t42.<signature>@example.com"""
    local, _sep, domain = address.rpartition("@")
    return f"{local}+t{ticket_number}.{_signature(f't{ticket_number}', 10)}@{domain}"


def reply_address_ticket_number(address: str) -> int | None:
    match = _PLUS_TOKEN.match(address or "")
    if match is None:
        return None
    number, signature = match.groups()
    if not hmac.compare_digest(signature.lower(), _signature(f"t{number}", 10)):
        return None
    return int(number)


def base_address(address: str) -> str:
    """support+t42.abc@example.com -> support@example.com"""
    local, _sep, domain = address.rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}".lower() if domain else address.lower()
