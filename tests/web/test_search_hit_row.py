"""The search page's result row (`search_tags.search_hit`, written in Python for speed) prints exactly what the
row's template printed: every value escaped and localized the same, for a hit in a note and in public text, in
English and Russian, in two time zones."""

# ruff: noqa: E501  (the reference row is the template's text as it was, long lines included)
from __future__ import annotations

import itertools

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from otklik.search.selectors import Hit
from otklik.testing import factories
from otklik.tickets.models import Ticket

pytestmark = pytest.mark.django_db

# The row as the page's template wrote it before it became a tag (kept here as the reference).
TEMPLATE_ROW = """{% load i18n otklik_web %}
    {% for hit, ticket in results %}
      <li class="card mb-2"><div class="card-body py-2">
        <a class="fw-semibold" href="{% url 'ticket' ticket.number %}">#{{ ticket.number }} {{ ticket.subject }}</a>
        {% status_badge ticket.status %} {% priority_badge ticket.priority %}
        <span class="small text-body-secondary">· {{ ticket.requester }} · {{ ticket.updated_at|date:"SHORT_DATETIME_FORMAT" }}</span>
        <p class="mb-0 small snippet">{% if hit.in_note %}<span class="badge text-bg-warning"><i class="bi bi-lock-fill" aria-hidden="true"></i> {% translate "Internal note" %}</span> {% endif %}{{ hit.snippet }}</p>
      </div></li>
    {% endfor %}"""

TAG_ROW = """{% load search_tags %}
    {% for hit, ticket in results %}
      {% search_hit hit ticket %}
    {% endfor %}"""


def test_the_row_tag_prints_what_the_row_template_printed(people, now):
    made = [
        factories.ticket(requester=people.alice, subject='Printer <b>"jam"</b> & toner', now=now),
        factories.ticket(requester=people.carol, subject="Принтер в бухгалтерии", now=now, priority="high"),
    ]
    Ticket.objects.filter(pk=made[1].pk).update(number=12345)  # a number wide enough for a thousands separator
    tickets = Ticket.objects.filter(pk__in=[t.pk for t in made]).select_related("status", "priority", "requester")
    results = [
        (Hit(ticket_id=ticket.pk, rank=1.0, snippet=mark_safe("a <mark>jam</mark> &amp; more"), in_note=in_note),
         ticket)
        for ticket, in_note in zip(tickets.order_by("pk"), (False, True), strict=True)
    ]
    cases = itertools.product(("en", "ru"), ("UTC", "Europe/Moscow"))
    for language, zone in cases:
        with translation.override(language), timezone.override(zone):
            old = Template(TEMPLATE_ROW).render(Context({"results": results}))
            new = Template(TAG_ROW).render(Context({"results": results}))
        assert new.split("\n", 1)[1] == old.split("\n", 1)[1], (language, zone)
        assert "&lt;b&gt;&quot;jam&quot;&lt;/b&gt; &amp; toner" in new and "<mark>jam</mark>" in new
        assert new.count("bi-lock-fill") == 1
