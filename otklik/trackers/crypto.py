"""Tracker credentials at rest: otklik.core.crypto with the trackers' own purpose (and so their own key).

A database dump alone does not reveal the API tokens. Changing SECRET_KEY makes the stored tokens
unreadable: they then read as empty, and the connection's test shows the tracker refusing, so the admin
enters them again.
"""

from __future__ import annotations

from otklik.core import crypto

PURPOSE = "otklik.trackers.credentials"  # the salt the first stored tokens were encrypted with: keep it


def encrypt(value: str) -> str:
    return crypto.encrypt(value, purpose=PURPOSE)


def decrypt(value: str) -> str:
    return crypto.decrypt(value, purpose=PURPOSE)
