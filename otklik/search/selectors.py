"""Full-text search over what the viewer may see.

Visibility is decided by `tickets_visible_to` (which tickets) and by the rule of `messages_visible_to`
(internal notes count only on tickets the viewer handles as staff: `tickets_handled_by`), composed into
one SQL statement, so the ranking never sees rows the viewer may not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from otklik.accounts.access import can_see_internal, tickets_handled_by, tickets_visible_to
from otklik.accounts.models import User

# Markers the highlighter wraps matches in; control characters cannot come from stored text.
_START, _STOP = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_ROWS = 300


@dataclass(frozen=True)
class Hit:
    ticket_id: int
    rank: float
    snippet: SafeString
    in_note: bool


def _fts5_query(text: str) -> str:
    """Words as prefix terms with a light stem, so 'принтеры'/'печатает' meet 'принтер'/'печатают'.

    FTS5 has no Russian stemmer; cutting common inflection letters and matching the prefix is a
    fair approximation on the embedded database. Every term is quoted, so no FTS syntax leaks in.
    """
    terms = []
    for word in _WORD.findall(text.lower()):
        stem = word
        if len(word) >= 7:
            stem = word[:-2]
        elif len(word) >= 5:
            stem = word[:-1]
        terms.append(f'"{stem}"*')
    return " AND ".join(terms)


def _highlight(snippet: str) -> SafeString:
    html = escape(snippet).replace(_START, "<mark>").replace(_STOP, "</mark>")
    return mark_safe(html)  # noqa: S308  (escaped above; only our own markers become tags)


def search(viewer: User, text: str, *, limit: int = 50) -> list[Hit]:
    """Best-ranked tickets first, one hit (its best-matching row) per ticket."""
    text = " ".join(text.split())[:300]
    if not text or not _WORD.search(text):
        return []
    try:
        visible_sql, visible_params = tickets_visible_to(viewer).values("pk").query.sql_with_params()
    except EmptyResultSet:
        return []
    notes_clause, notes_params = " AND NOT e.is_internal", ()
    if can_see_internal(viewer):
        try:
            handled_sql, notes_params = tickets_handled_by(viewer).values("pk").query.sql_with_params()
            notes_clause = f" AND (NOT e.is_internal OR e.ticket_id IN ({handled_sql}))"
        except EmptyResultSet:
            pass
    if connection.vendor == "postgresql":
        # Only Django-compiled subqueries are inlined below; every value is a query parameter.
        sql = (
            "SELECT e.ticket_id, ts_rank(to_tsvector('russian'::regconfig, COALESCE(e.text, '')), q) AS rank,"  # noqa: S608
            " ts_headline('russian'::regconfig, e.text, q,"
            " 'StartSel=\x02, StopSel=\x03, MaxWords=28, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \"'),"
            " e.is_internal"
            " FROM search_searchentry e, websearch_to_tsquery('russian'::regconfig, %s) q"
            " WHERE to_tsvector('russian'::regconfig, COALESCE(e.text, '')) @@ q"
            f" AND e.ticket_id IN ({visible_sql}){notes_clause}"
            " ORDER BY rank DESC, e.ticket_id DESC LIMIT %s"
        )
        params: list[Any] = [text, *visible_params, *notes_params, MAX_ROWS]
    else:
        query = _fts5_query(text)
        if not query:
            return []
        sql = (
            "SELECT e.ticket_id, -bm25(search_entry_fts) AS rank,"  # noqa: S608
            " snippet(search_entry_fts, 0, char(2), char(3), ' … ', 16), e.is_internal"
            " FROM search_entry_fts JOIN search_searchentry e ON e.id = search_entry_fts.rowid"
            " WHERE search_entry_fts MATCH %s"
            f" AND e.ticket_id IN ({visible_sql}){notes_clause}"
            " ORDER BY rank DESC, e.ticket_id DESC LIMIT %s"
        )
        params = [query, *visible_params, *notes_params, MAX_ROWS]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    best: dict[int, Hit] = {}
    for ticket_id, rank, snippet, in_note in rows:
        if ticket_id not in best:
            best[ticket_id] = Hit(ticket_id=ticket_id, rank=float(rank), snippet=_highlight(snippet or ""),
                                  in_note=bool(in_note))
        if len(best) >= limit:
            break
    return list(best.values())
