"""Installation-wide settings of the email channel (defined in otklik/settings/mail.py), typed."""

from __future__ import annotations

from django.conf import settings


def _get(name: str, default: object) -> object:
    return getattr(settings, name, default)


def mailer() -> str:
    return str(_get("OTKLIK_MAIL_MAILER", "default"))


def send_attempts() -> int:
    return int(str(_get("OTKLIK_MAIL_SEND_ATTEMPTS", 6)))


def automatic_per_hour() -> int:
    return int(str(_get("OTKLIK_MAIL_AUTOMATIC_PER_HOUR", 20)))


def default_language() -> str:
    return str(_get("OTKLIK_MAIL_DEFAULT_LANGUAGE", "en"))


def send_replies() -> bool:
    return bool(_get("OTKLIK_MAIL_SEND_REPLIES", True))


def poll_batch() -> int:
    return int(str(_get("OTKLIK_MAIL_POLL_BATCH", 200)))


def process_batch() -> int:
    return int(str(_get("OTKLIK_MAIL_PROCESS_BATCH", 50)))


def max_raw_bytes() -> int:
    return int(str(_get("OTKLIK_MAIL_MAX_RAW_BYTES", 50 * 1024 * 1024)))
