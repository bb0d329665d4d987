"""`{% choice_options %}` writes the list page's option lists as its former template loops did (kept here as
the reference), escaping alike, for the filter form (several values, one value, sort) and the bulk bar."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.http import QueryDict
from django.template import Context, Template
from django.utils import translation
from django.utils.safestring import mark_safe

from otklik.testing.personas import Personas
from otklik.web.forms import BulkForm, TicketFilterForm

pytestmark = pytest.mark.django_db

EVIL = '<script>"x"</script> & \'q\' «ёлка»'

REFERENCE = Template(
    "{% for value, label in choices %}<option value=\"{{ value }}\" {% if value|stringformat:'s' in chosen %}"
    "selected{% endif %}>{{ label }}</option>{% endfor %}|"
    "{% for value, label in choices %}<option value=\"{{ value }}\" {% if chosen|stringformat:'s' == "
    "value|stringformat:'s' %}selected{% endif %}>{{ label }}</option>{% endfor %}|"
    "{% for value, label in choices %}{% if value %}<option value=\"{{ value }}\">{{ label }}</option>{% endif %}"
    "{% endfor %}|"
    "{% for value, label in choices %}<option value=\"{{ value }}\">{{ label }}</option>{% endfor %}"
)
TAG = Template(
    "{% load otklik_web %}{% choice_options choices chosen %}|{% choice_options choices chosen one=True %}|"
    "{% choice_options choices skip_empty=True %}|{% choice_options choices plain=True %}"
)


def _both(choices: Any, chosen: Any) -> tuple[str, str]:
    context = {"choices": choices, "chosen": chosen}
    return TAG.render(Context(context)), REFERENCE.render(Context(context))


@pytest.mark.parametrize("chosen", [None, [], ["1"], ["1", EVIL, "none"], "1", "", 1, EVIL])
def test_hostile_choices_are_written_as_the_loops_wrote_them(chosen: Any) -> None:
    choices = [("", "—"), (1, EVIL), ("1", "one"), (EVIL, EVIL), ("none", mark_safe("<i>safe</i>")), (12345, 0)]
    tag, reference = _both(choices, chosen)
    assert tag == reference
    assert "&lt;script&gt;&quot;x&quot;&lt;/script&gt; &amp; &#x27;q&#x27; «ёлка»" in tag and "<i>safe</i>" in tag


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_list_forms_options_are_the_loops_options(people: Personas, language: str) -> None:
    params = QueryDict("status=open&status=new&assignee=me&team=1&organization=&sort=priority&source=email")
    with translation.override(language):
        form = TicketFilterForm(params, viewer=people.fiona)
        bulk = BulkForm(viewer=people.fiona)
        for name in ("status", "priority", "category", "team", "assignee", "organization", "source",
                     "request_type", "sort"):
            field = form.fields[name]
            assert isinstance(field, forms.ChoiceField)
            tag, reference = _both(field.choices, form[name].value())
            assert tag == reference, name
        for name in ("action", "assignee", "status", "priority", "team", "macro"):
            bulk_field = bulk.fields[name]
            assert isinstance(bulk_field, forms.ChoiceField)
            tag, reference = _both(bulk_field.choices, None)
            assert tag == reference, name
        status = form.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        assert 'value="open" selected' in _both(status.choices, form["status"].value())[0]
