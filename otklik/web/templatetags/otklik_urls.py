"""`{% url %}` with its answers remembered: `{% load otklik_urls %}` after `{% load %}`ing nothing else named
`url` makes a template's `{% url %}` tags this one (the same syntax, the same output, the same errors).

Django reverses every `{% url %}` on every render (~20-40 µs each); the agent's ticket page has 37 of them
and the queue page 25, the same ones on every view (issue #16, ticket page and queue, round 6). A reversal
depends only on the view's name, its arguments, the URLconf (and its resolver), the script prefix, the
language (language-prefixed patterns) and the current application (namespaces): with all of them in the
key, the remembered answer is the answer. Arguments that are non-negative integers (a ticket's number) are
remembered as a pattern: the URL reversed once with placeholder numbers, checked with a second set, and
each call puts its numbers in their places; any other argument is reversed as Django does.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()

# Placeholders for integer arguments: two sets, so a pattern is kept only when both land verbatim.
_FIRST = 987_654_321_000
_SECOND = 123_456_789_000
# Bounded: names x argument shapes x languages x prefixes are few; a full memo is simply emptied.
MEMO_LIMIT = 2048

# key -> the URL's parts: literal text, and between them the number of the argument to put there (the
# positional arguments first, then the keyword ones by name); None: reversed by Django each time.
_memo: dict[tuple[Any, ...], list[str | int] | None] = {}
_MISSING: Any = object()


def _clear(**_kwargs: Any) -> None:
    _memo.clear()


setting_changed.connect(_clear)


def _is_number(value: Any) -> bool:
    return type(value) is int and value >= 0


def _split(url: str, marks: list[str]) -> list[str | int] | None:
    """`url` as literal parts and argument slots (the placeholder `marks[i]` becomes slot i), when each
    placeholder appears in it exactly once."""
    parts: list[str | int] = [url]
    for slot, mark in enumerate(marks):
        found: list[str | int] = []
        for part in parts:
            if isinstance(part, int) or mark not in part:
                found.append(part)
                continue
            for index, piece in enumerate(part.split(mark)):
                if index:
                    found.append(slot)
                found.append(piece)
        parts = found
    slots = sorted(part for part in parts if isinstance(part, int))
    return parts if slots == list(range(len(marks))) else None


def _join(parts: list[str | int], values: list[str]) -> str:
    return "".join(values[part] if isinstance(part, int) else part for part in parts)


def _pattern(view_name: str, n_args: int, kwarg_names: tuple[str, ...], current_app: Any) -> list[str | int] | None:
    """The URL's parts for integer arguments, or None when the placeholders do not land verbatim."""
    def reversed_with(values: list[str]) -> str:
        return reverse(view_name, args=[int(value) for value in values[:n_args]],
                       kwargs={name: int(value) for name, value in zip(kwarg_names, values[n_args:], strict=True)},
                       current_app=current_app)

    count = n_args + len(kwarg_names)
    first = [str(_FIRST + index) for index in range(count)]
    second = [str(_SECOND + index) for index in range(count)]
    try:
        parts = _split(reversed_with(first), first)
        if parts is None or _join(parts, second) != reversed_with(second):
            return None
    except NoReverseMatch:
        return None
    return parts


def remembered_reverse(view_name: Any, args: list[Any], kwargs: dict[str, Any], current_app: Any) -> str:
    """`reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)`, remembered (above)."""
    numbers = all(_is_number(value) for value in args) and all(_is_number(value) for value in kwargs.values())
    if not isinstance(view_name, str) or not numbers or (args and kwargs):
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    urlconf = get_urlconf()
    kwarg_names = tuple(sorted(kwargs))
    key = (view_name, len(args), kwarg_names, current_app, urlconf, settings.ROOT_URLCONF,
           get_resolver(urlconf), get_script_prefix(), get_language())
    parts = _memo.get(key, _MISSING)  # one lookup: another thread may empty the memo in between two
    if parts is _MISSING:
        parts = _pattern(view_name, len(args), kwarg_names, current_app)
        if len(_memo) >= MEMO_LIMIT:
            _memo.clear()
        _memo[key] = parts
    if parts is None:
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    return _join(parts, [str(value) for value in args] + [str(kwargs[name]) for name in kwarg_names])


class RememberedURLNode(URLNode):
    """Django's URLNode (its `render`, line for line) with `remembered_reverse` in place of `reverse`."""

    def render(self, context: template.Context) -> str:
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app  # type: ignore[attr-defined]
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace  # type: ignore[attr-defined]
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = remembered_reverse(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        if context.autoescape:
            url = conditional_escape(url)
        return url


@register.tag
def url(parser: template.base.Parser, token: template.base.Token) -> RememberedURLNode:
    """Django's `{% url %}` (parsed by Django's own tag), rendered by `RememberedURLNode`."""
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
