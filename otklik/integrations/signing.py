"""The webhook signature: HMAC-SHA256 over "<timestamp>.<body>" with the subscription's secret.

Signing the timestamp with the body lets a receiver refuse replays older than a few minutes.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Otklik-Signature"
TIMESTAMP_HEADER = "X-Otklik-Timestamp"
EVENT_HEADER = "X-Otklik-Event"
DELIVERY_HEADER = "X-Otklik-Delivery"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def signature_verify(secret: str, header: str, body: bytes, *, now_timestamp: int, tolerance: int = 300) -> bool:
    """What a receiver does (Python version of the recipe in docs/api.md)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now_timestamp - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, timestamp, body))
