"""Every email and notification text exists in Russian too, not only in the gettext catalogue.

Mail bodies and notification templates are whole texts kept per language (template files and
otklik/notifications/defaults.py), so `makemessages` never sees them; these tests are their catalogue check.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from otklik.notifications.defaults import DEFAULT_TEMPLATES, SLA_TARGET_WORDS
from otklik.notifications.rendering import template_check
from otklik.notifications.topics import TOPICS

MAIL_TEMPLATES = Path(settings.BASE_DIR) / "mail" / "templates" / "mail"
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
# Texts that are nothing but what the sender wrote (automation notices) carry no words of our own.
PASS_THROUGH = {"automation_notice"}


def _wording(text: str) -> str:
    """The fixed words of a template: tags, variables and whitespace removed."""
    return " ".join(re.sub(r"{%.*?%}|{{.*?}}", " ", text).split())


def test_mail_templates_come_in_pairs() -> None:
    english = sorted(path.name for path in MAIL_TEMPLATES.glob("*.en.*"))
    russian = sorted(path.name for path in MAIL_TEMPLATES.glob("*.ru.*"))
    assert english, f"no mail templates found in {MAIL_TEMPLATES}"
    assert [name.replace(".en.", ".ru.") for name in english] == russian


@pytest.mark.parametrize("name", sorted(path.name for path in MAIL_TEMPLATES.glob("*.ru.*")))
def test_russian_mail_templates_are_russian(name: str) -> None:
    wording = _wording((MAIL_TEMPLATES / name).read_text(encoding="utf-8"))
    assert CYRILLIC.search(wording), f"{name} has no Russian words: {wording!r}"


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_every_notification_topic_has_a_russian_default(topic: str) -> None:
    assert topic in DEFAULT_TEMPLATES, f"no shipped texts for the topic {topic}"
    languages = DEFAULT_TEMPLATES[topic]
    assert {"en", "ru"} <= set(languages), f"{topic}: only {sorted(languages)}"
    for subject, body in (languages["en"], languages["ru"]):
        assert subject.strip() and body.strip()
        assert template_check(subject) is None and template_check(body) is None
    if topic in PASS_THROUGH:
        return
    subject, body = languages["ru"]
    assert CYRILLIC.search(_wording(body)), f"{topic}: the Russian body has no Russian words"
    assert _wording(body) != _wording(languages["en"][1])


def test_sla_target_words_are_translated() -> None:
    for metric, words in SLA_TARGET_WORDS.items():
        assert CYRILLIC.search(words.get("ru", "")), f"{metric}: {words}"
