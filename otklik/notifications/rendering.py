"""Rendering notification templates in the recipient's language.

Admin-edited templates are Django templates over a flat dict of strings (never model objects), so a
template cannot reach a password hash or an internal note through attribute lookups.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.utils.html import linebreaks

from otklik.accounts.models import User
from otklik.notifications.defaults import DEFAULT_TEMPLATES
from otklik.notifications.models import NotificationTemplate

logger = logging.getLogger(__name__)

# No loaders and no libraries: templates can use the built-in tags and filters and nothing else.
_ENGINE = Engine(dirs=[], app_dirs=False, libraries={}, autoescape=False)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str

    @property
    def body_html(self) -> str:
        return linebreaks(self.body_text, autoescape=True)


def language_of(user: User) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    language = (user.language or "").split("-")[0].lower()
    return language if language in supported else settings.LANGUAGE_CODE.split("-")[0]


def template_check(source: str) -> str | None:
    """The error message of a template that does not compile, else None (for admin forms)."""
    try:
        Template(source, engine=_ENGINE)
    except TemplateSyntaxError as exc:
        return str(exc)
    return None


def _render_source(source: str, context: Mapping[str, str]) -> str:
    return Template(source, engine=_ENGINE).render(Context(dict(context), autoescape=False))


class TemplateBook:
    """The active templates, loaded once per batch of notifications."""

    def __init__(self) -> None:
        self._rows = {
            (row.topic, row.language): (row.subject, row.body)
            for row in NotificationTemplate.objects.filter(is_active=True)
        }

    def render(self, topic: str, language: str, context: Mapping[str, str]) -> Rendered:
        shipped = DEFAULT_TEMPLATES[topic]
        fallback = shipped.get(language) or shipped["en"]
        subject_source, body_source = self._rows.get((topic, language), fallback)
        try:
            subject = _render_source(subject_source, context)
            body = _render_source(body_source, context)
        except Exception:  # an admin's broken edit falls back to the shipped words, loudly
            logger.exception("notification template %s/%s does not render; using the shipped one", topic, language)
            subject = _render_source(fallback[0], context)
            body = _render_source(fallback[1], context)
        return Rendered(subject=" ".join(subject.split())[:500], body_text=body.strip() + "\n")


def render_text(source: str, context: Mapping[str, str]) -> str:
    """Render an admin-written snippet (a trigger's note or message); on error keep the text as written."""
    try:
        return _render_source(source, context)
    except Exception:
        logger.exception("an automation text does not render; sending it as written")
        return source
