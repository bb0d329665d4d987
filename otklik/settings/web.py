"""Settings of the web UI part (templates, channels, static), applied to the settings namespace by base.py."""

from typing import Any


def configure(settings: dict[str, Any]) -> None:
    """Add or adjust settings of this part; called once at the end of base.py."""
    installed: list[str] = settings["INSTALLED_APPS"]
    for app in ("channels", "django_htmx"):
        if app not in installed:
            installed.append(app)

    middleware: list[str] = settings["MIDDLEWARE"]
    if "django_htmx.middleware.HtmxMiddleware" not in middleware:
        middleware.insert(middleware.index("django.middleware.common.CommonMiddleware"),
                          "django_htmx.middleware.HtmxMiddleware")
    # The signed-in user's own language and time zone win over the browser's; it needs request.user.
    own_preferences = "otklik.web.middleware.UserPreferencesMiddleware"
    if own_preferences not in middleware:
        middleware.insert(middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                          own_preferences)

    processors: list[str] = settings["TEMPLATES"][0]["OPTIONS"]["context_processors"]
    for processor in ("django.template.context_processors.tz", "otklik.web.context.ui"):
        if processor not in processors:
            processors.append(processor)

    # One process shares presence in memory; several web processes need Redis to see each other.
    redis_url = settings.get("REDIS_URL", "")
    if redis_url:
        settings["CHANNEL_LAYERS"] = {
            "default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                        "CONFIG": {"hosts": [redis_layer_host(redis_url)], "capacity": 1000}}
        }
    else:
        # Room for bursts: a live chat's staff group hears every message of every conversation.
        settings["CHANNEL_LAYERS"] = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer",
                                                  "CONFIG": {"capacity": 1000}}}

    # A refused form gets a styled page in the person's language (Django's own is plain English).
    settings.setdefault("CSRF_FAILURE_VIEW", "otklik.web.views.errors.csrf_failure")
    # A language chosen on the sign-in page survives a year; signed-in users keep theirs on the profile.
    settings.setdefault("LANGUAGE_COOKIE_AGE", 365 * 24 * 3600)
    settings.setdefault("LANGUAGE_COOKIE_SAMESITE", "Lax")
    # How long the password-less link in a requester's email opens their ticket.
    settings.setdefault("OTKLIK_MAGIC_LINK_DAYS", 14)
    # Rows per page of agent lists; seconds between list refreshes.
    settings.setdefault("OTKLIK_LIST_PAGE_SIZE", 50)
    settings.setdefault("OTKLIK_LIST_REFRESH_SECONDS", 30)


# channels_redis waits for a socket's next message with a blocking BZPOPMIN of 5 s, and redis-py (8.x)
# gives every connection a 5 s read timeout by default: on a busy machine the reply comes a little late, the
# read times out, the consumer dies and the messages on their way to that socket are lost (measured by
# bench/bench_chat.py, two processes). The read timeout is kept, but well above the blocking wait.
REDIS_LAYER_READ_TIMEOUT = 30


def redis_layer_host(url: str) -> dict[str, Any]:
    return {"address": url, "socket_timeout": REDIS_LAYER_READ_TIMEOUT, "socket_connect_timeout": 5}
