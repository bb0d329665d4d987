"""The requester card's "customer profile": labelled values read from a CRM-like JSON source, cached.
A source that fails or answers nonsense yields a quiet notice for the agent, never an error page."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.core.cache import cache

from otklik.accounts.models import User
from otklik.trackers.models import ProfileSource

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 3.0
FAILURE_CACHE_SECONDS = 60  # a failing source is asked again a minute later, not on every page view


@dataclass
class Profile:
    source: str
    values: list[tuple[str, str]] = field(default_factory=list)
    failed: bool = False


def _dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def profile_url(source: ProfileSource, person: User) -> str:
    email = person.email or ""
    organization = person.organization.name if person.organization_id and person.organization else ""
    return (source.url_template.replace("{email}", quote(email, safe=""))
            .replace("{organization}", quote(organization, safe=""))
            .replace("{domain}", quote(email.rpartition("@")[2], safe="")))


def _fetch(source: ProfileSource, person: User) -> list[tuple[str, str]]:
    import httpx  # imported when a profile is fetched: most web processes never fetch one

    headers = {str(key): str(value) for key, value in (source.headers or {}).items()}
    response = httpx.get(profile_url(source, person), headers={"Accept": "application/json", **headers},
                         timeout=TIMEOUT_SECONDS, follow_redirects=False)
    response.raise_for_status()
    data = response.json()
    values = []
    for pair in source.fields or []:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            value = _dig(data, str(pair[0]))
            if value is not None and not isinstance(value, dict | list):
                values.append((str(pair[1]), str(value)))
    return values


def profile_for(source: ProfileSource, person: User) -> Profile:
    key = f"trackers:profile:{source.pk}:{hashlib.sha256(profile_url(source, person).encode()).hexdigest()}"
    cached = cache.get(key)
    if isinstance(cached, dict):
        return Profile(source=source.name, values=[(str(label), str(value)) for label, value in cached["values"]],
                       failed=cached["failed"])
    import httpx

    try:
        values, failed = _fetch(source, person), False
    except (httpx.HTTPError, ValueError) as exc:
        logger.info("customer profile source %s failed: %r", source.pk, exc)
        values, failed = [], True
    cache.set(key, {"values": values, "failed": failed},
              FAILURE_CACHE_SECONDS if failed else source.cache_seconds)
    return Profile(source=source.name, values=values, failed=failed)


def profiles_for(person: User) -> list[Profile]:
    return [profile_for(source, person) for source in ProfileSource.objects.filter(is_active=True)]
