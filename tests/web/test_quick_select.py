"""`web.renderers.QuickSelectRenderer` writes select boxes as Django's widget templates do, escaping alike."""

from __future__ import annotations

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from otklik.web.renderers import QUICK_SELECT, select_html

EVIL = '<script>"x"</script> & \'q\''


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "—"), ("a", "A"), (EVIL, EVIL), (3, 3)], initial=EVIL)
    grouped = forms.ChoiceField(choices=[("Group <1>", [("x", "X & Y"), ("y", "Y")]), ("z", "Zed")], initial="y")
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", mark_safe("<i>B</i>"))], initial=["a", "b"])
    attrs = forms.ChoiceField(choices=[("1", "one")], required=False, disabled=True,
                              widget=forms.Select(attrs={"class": "form-select", "data-x": EVIL, "hidden": True,
                                                         "aria-invalid": False}))
    radio = forms.ChoiceField(choices=[("1", "one"), ("2", EVIL)], widget=forms.RadioSelect)


def test_every_select_is_the_templates_html() -> None:
    quick, templates = Sample(renderer=QUICK_SELECT), Sample(renderer=DjangoTemplates())
    for name in Sample.base_fields:
        assert str(quick[name]) == str(templates[name]), name
    assert "&lt;script&gt;&quot;x&quot;" in str(quick["plain"]) and "<i>B</i>" in str(quick["many"])


def test_an_option_with_its_own_template_is_left_to_the_templates() -> None:
    widget = forms.Select(choices=[("1", "one")]).get_context("s", "1", {})["widget"]
    widget["optgroups"][0][1][0]["template_name"] = "elsewhere/option.html"
    assert select_html(widget) is None
