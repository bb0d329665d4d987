"""A form renderer that writes select boxes in Python (issue #16, ticket page round 2).

The ticket page's fields editor renders its request-type select on every view; through Django's widget
templates that is an include per option and one more per option's attributes, more CPU than the rest of
the editor. `QuickSelectRenderer` writes the same HTML as Django's `select.html`, `select_option.html` and
`attrs.html` (escaping as the template engine does); any other template, or a select whose options use
another template, goes through the templates as before (tests/web/test_quick_select.py compares both)."""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _text(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: the text, escaped unless already safe."""
    return str(conditional_escape(value if isinstance(value, str) else f"{value!s}"))


def shown(value: Any) -> str:
    """`{{ value }}`: localised, then escaped unless already safe (as the template engine writes a variable)."""
    value = localize(value)
    return str(conditional_escape(value if isinstance(value, str) else str(value)))


def _attrs(attrs: dict[str, Any]) -> str:
    """Django's `attrs.html`: ` name="value"`, a bare ` name` for True, nothing for False."""
    return "".join(f" {shown(name)}" + ("" if value is True else f'="{_text(value)}"')
                   for name, value in attrs.items() if value is not False)


def select_html(widget: dict[str, Any]) -> str | None:
    """The select of a widget context as Django's templates write it; None when an option has its own
    template (left to the templates)."""
    parts = [f'<select name="{shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{shown(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION:
                return None
            parts.append(f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
                         f'{shown(option["label"])}</option>\n')  # the option template's last line
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")  # (the renderer strips the template's last newline)
    return "".join(parts)


class QuickSelectRenderer(DjangoTemplates):
    """Django's default renderer, with select boxes written by `select_html`."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == SELECT:
            written = select_html(context["widget"])
            if written is not None:
                return written
        return super().render(template_name, context, request)


# One instance: a renderer builds its template engine once (a class given to a form builds one per form).
QUICK_SELECT = QuickSelectRenderer()
