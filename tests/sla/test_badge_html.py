"""`sla_badge_html` (the list rows' SLA badge, written in Python) writes what the SLA app's template
`sla/badge.html` writes for every answer of `sla_badge`, in English and Russian, in the viewer's zone."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.template.loader import get_template
from django.utils import timezone, translation

from otklik.sla.templatetags.sla_tags import sla_badge_html

DUE = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # a daylight-saving night in Europe
EVIL = '<b>"1 h" & \'2\'</b>'


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Moscow", "Europe/Berlin"])
def test_every_badge_is_the_templates_html(language: str, zone: str) -> None:
    template = get_template("sla/badge.html")
    cases = [(status, due, countdown)
             for status in ("", "late", "due_soon", "running", "paused", "met", "cancelled", EVIL)
             for due in (None, DUE, DUE.replace(tzinfo=None))
             for countdown in ("", "3 h 5 min", EVIL)]
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        for status, due, countdown in cases:
            expected = template.render({"status": status, "due": due, "countdown": countdown, "past": False})
            # The template file ends with a line break, which the list rows write after the badge.
            assert sla_badge_html(status, due, countdown) + "\n" == expected, (status, due, countdown)
    with translation.override("ru"):
        assert ">просрочено на 1 ч</span>" in sla_badge_html("late", DUE, "1 ч")  # the catalogue is used


def test_the_badge_escapes_what_it_shows() -> None:
    html = sla_badge_html(EVIL, DUE, EVIL)
    assert "<b>" not in html and "&lt;b&gt;&quot;1 h&quot; &amp; &#x27;2&#x27;&lt;/b&gt;" in html
