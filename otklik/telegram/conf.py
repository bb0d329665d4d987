"""Typed access to the Telegram settings (otklik/settings/telegram.py)."""

from __future__ import annotations

from django.conf import settings


def token() -> str:
    return str(getattr(settings, "OTKLIK_TELEGRAM_TOKEN", "") or "").strip()


def api_url() -> str:
    return str(getattr(settings, "OTKLIK_TELEGRAM_API_URL", "") or "https://api.telegram.org")


def send_attempts() -> int:
    return int(getattr(settings, "OTKLIK_TELEGRAM_SEND_ATTEMPTS", 8))


def max_file_bytes() -> int:
    return int(getattr(settings, "OTKLIK_TELEGRAM_MAX_FILE_BYTES", 20 * 1024 * 1024))
