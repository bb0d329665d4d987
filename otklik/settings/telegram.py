"""Settings of the Telegram channel, applied to the settings namespace by base.py.

Bots are rows edited in the admin; OTKLIK_TELEGRAM_TOKEN adds one more bot from the environment.
"""

import os
from typing import Any


def configure(settings: dict[str, Any]) -> None:
    env = os.environ.get
    # A bot served without an admin row (the row is made on first use, named "environment").
    settings.setdefault("OTKLIK_TELEGRAM_TOKEN", env("OTKLIK_TELEGRAM_TOKEN", ""))
    # The Bot API server: the official one, a local Bot API server, or a test double.
    settings.setdefault("OTKLIK_TELEGRAM_API_URL", env("OTKLIK_TELEGRAM_API_URL", "https://api.telegram.org"))
    # Attempts per outgoing Bot API call before it is marked failed (429 waits do not count).
    settings.setdefault("OTKLIK_TELEGRAM_SEND_ATTEMPTS", int(env("OTKLIK_TELEGRAM_SEND_ATTEMPTS", "8")))
    # Files larger than this are refused before download (the Bot API's getFile limit is 20 MB).
    settings.setdefault("OTKLIK_TELEGRAM_MAX_FILE_BYTES", int(env("OTKLIK_TELEGRAM_MAX_FILE_BYTES",
                                                                  str(20 * 1024 * 1024))))
    # httpx logs every request URL at INFO, and a Bot API URL contains the bot token.
    logging_config = settings.get("LOGGING")
    if isinstance(logging_config, dict):
        logging_config.setdefault("loggers", {}).setdefault("httpx", {"level": "WARNING"})
