"""`{% load otklik_urls %}`: `{% url %}` with its answers remembered writes exactly what Django's tag writes
(issue #16, ticket page and queue round 6), and the list rows' tag names read without the related manager are
the tags `prefetch_related("tags")` gave, in the same order."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.template import Context, Engine, Template
from django.test import RequestFactory
from django.urls import NoReverseMatch, set_script_prefix
from django.utils import translation

from otklik.testing import factories
from otklik.testing.personas import Personas
from otklik.testing.queries import count_queries
from otklik.tickets.models import Tag, Ticket
from otklik.web.selectors import attach_tag_names
from otklik.web.templatetags import otklik_urls

# Every shape the pages use: no argument, a number, a number kept `as` a variable, a namespaced name, a
# keyword; and what the remembered path must hand back to Django: text arguments, negative numbers, a bool,
# a name that does not exist (`as`: empty, else the error).
BODY = (
    "{% url 'home' %}|{% url 'ticket' number %}|{% url 'ticket_update' number as update_url %}{{ update_url }}|"
    "{% url 'knowledge:similar' number %}|{% url 'ticket' number=number %}|{% url 'ticket' text %}|"
    "{% url 'ticket_timeline' number %}|{% url 'sla:overdue' %}|{% url 'missing-name' as nothing %}[{{ nothing }}]|"
    "{% url name number %}|{% url 'ticket' big %}|{% url 'ticket' zero %}"
)
NUMBERS = [1, 7, 42, 987654321000, 123456789000, 10**15, 0]


def _render(library: str, context: dict[str, object], body: str = BODY) -> str:
    engine = Engine.get_default()
    template = Template(("{% load " + library + " %}" if library else "") + body, engine=engine)
    request = RequestFactory().get("/")
    return template.render(Context({**context, "request": request}))


def test_remembered_urls_write_what_django_writes() -> None:
    otklik_urls._memo.clear()
    try:
        for prefix in ("/", "/desk/", "/"):  # one memo across prefixes and languages: each is in the key
            set_script_prefix(prefix)
            for language in ("en", "ru"):
                with translation.override(language):
                    for number in NUMBERS:
                        context = {"number": number, "text": str(number), "name": "ticket_next",
                                   "big": number * 1000 + 3, "zero": 0}
                        django_answer = _render("", context)
                        assert django_answer.startswith(prefix)
                        for _round in range(2):  # the first render remembers, the second answers from the memo
                            assert _render("otklik_urls", context) == django_answer
    finally:
        set_script_prefix("/")
    kept = {key[:3]: parts for key, parts in otklik_urls._memo.items() if key[-2:] == ("/", "en")}
    assert {key[-2:] for key in otklik_urls._memo} == {("/", "en"), ("/", "ru"), ("/desk/", "en"), ("/desk/", "ru")}
    assert kept["ticket", 1, ()] == kept["ticket", 0, ("number",)] == ["/tickets/", 0, "/"]
    assert kept["knowledge:similar", 1, ()] is not None and kept["home", 0, ()] == ["/"]
    assert kept["missing-name", 0, ()] is None  # reversed by Django each time


def test_what_django_refuses_is_refused_the_same() -> None:
    otklik_urls._memo.clear()
    for value in (-1, True, "x/y", None):
        for library in ("", "otklik_urls"):
            with pytest.raises(NoReverseMatch):
                _render(library, {"value": value}, "{% url 'ticket' value %}")
    with pytest.raises(NoReverseMatch):
        _render("otklik_urls", {}, "{% url 'missing-name' %}")
    # Positional and keyword arguments together: Django's own error, whatever it is.
    with pytest.raises(ValueError, match="Don't mix"):
        _render("", {}, "{% url 'ticket' 1 number=2 %}")
    with pytest.raises(ValueError, match="Don't mix"):
        _render("otklik_urls", {}, "{% url 'ticket' 1 number=2 %}")


def test_a_pattern_is_kept_only_when_its_numbers_land_verbatim() -> None:
    assert otklik_urls._split("/t/987654321000/987654321001/", ["987654321000", "987654321001"]) == [
        "/t/", 0, "/", 1, "/"]
    # twice, or not at all: reversed each time instead
    assert otklik_urls._split("/a/987654321000/987654321000/", ["987654321000"]) is None
    assert otklik_urls._split("/a/", ["987654321000"]) is None


@pytest.mark.django_db
def test_tag_names_are_the_prefetched_tags_in_their_order(people: Personas, now: datetime) -> None:
    names = ["vpn", "<script>", "a&b", "тег", "Zz", "aa"]
    tags = [Tag.objects.create(name=name) for name in names]
    tickets = [factories.ticket(requester=people.alice, now=now) for _ in range(4)]
    tickets[0].tags.add(*tags)
    tickets[1].tags.add(tags[3], tags[0])
    tickets[3].tags.add(tags[5])
    rows = list(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("id"))
    assert count_queries(lambda: attach_tag_names(rows)) == 1
    prefetched = Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("id").prefetch_related("tags")
    assert [row.tag_names for row in rows] == [[tag.name for tag in t.tags.all()] for t in prefetched]  # type: ignore[attr-defined]
    assert rows[2].tag_names == []  # type: ignore[attr-defined]
    assert count_queries(lambda: attach_tag_names([])) == 0
