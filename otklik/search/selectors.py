"""Full-text search over what the viewer may see.

Visibility is decided by `tickets_visible_to` (which tickets) and by the rule of `messages_visible_to`
(internal notes count only on tickets the viewer handles as staff: `tickets_handled_by`).

PostgreSQL ranks the stored vectors of a capped window of matching rows (newest tickets first) instead of
every match. For requesters the visibility clause is part of that SQL (their scope is small); for staff
only the window's tickets are checked, and when too few of them are the viewer's the search runs again
inside the scope. Headlines are computed for the shown rows only. A search running past the web
statement timeout is stopped with `SearchTooSlow`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import OperationalError, connection, transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from psycopg.errors import QueryCanceled

from otklik.accounts.access import can_see_internal, scope_is_personal, tickets_handled_by, tickets_visible_to
from otklik.accounts.models import User
from otklik.core.errors import DomainError
from otklik.core.sql import row_in

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

# Markers the highlighter wraps matches in; control characters cannot come from stored text.
_START, _STOP = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_ROWS = 300
# Matching rows ranked per search on PostgreSQL, newest tickets first: a word in a fifth of a million
# tickets ranks this many rows, not 200,000 (see docs/performance.md).
CANDIDATES = int(getattr(settings, "OTKLIK_SEARCH_CANDIDATES", 2000))


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


class SearchTooSlow(DomainError):
    """The database stopped the search at the web statement timeout (OTKLIK_WEB_STATEMENT_TIMEOUT_MS)."""

    code = "search_too_slow"
    default_message: StrOrPromise = _(
        "The search took too long and was stopped. Add words or choose a rarer word to narrow it."
    )


@dataclass(frozen=True)
class _Row:
    entry_id: int
    ticket_id: int
    rank: float
    is_internal: bool


def search(viewer: User, text: str, *, limit: int = 50) -> list[Hit]:
    """Best-ranked tickets first, one hit (its best-matching row) per ticket."""
    text = " ".join(text.split())[:300]
    if not text or not _WORD.search(text):
        return []
    if connection.vendor != "postgresql":
        return _search_sqlite(viewer, text, limit)
    try:
        with transaction.atomic():  # a cancelled statement must not break the caller's transaction
            return _search_postgres(viewer, text, limit)
    except OperationalError as exc:
        if isinstance(exc.__cause__, QueryCanceled):
            logger.warning("search stopped at the statement timeout: viewer %s, %r", viewer.pk, text)
            raise SearchTooSlow() from exc
        raise


def _scopes(viewer: User) -> tuple[str, list[Any]] | None:
    """The visibility clause composed into SQL (for narrow viewers and the fallback); None: sees nothing.

    A requester's scope (their own tickets, their organization's if shared) is a set of ids the search
    rows are read by; a wide staff scope is checked per candidate row by primary key (`core.sql.row_in`),
    and internal rows are checked against the handled scope the same way."""
    try:
        if scope_is_personal(viewer) or not can_see_internal(viewer):
            visible_sql, visible = tickets_visible_to(viewer).order_by().values("pk").query.sql_with_params()
            visible_clause = f" AND e.ticket_id IN ({visible_sql})"
        else:
            visible_sql, visible = row_in(tickets_visible_to(viewer), "e.ticket_id")
            visible_clause = f" AND ({visible_sql}) IS NOT NULL"
    except EmptyResultSet:
        return None
    notes_clause, notes_params = " AND NOT e.is_internal", ()
    if can_see_internal(viewer):
        try:
            handled_sql, notes_params = row_in(tickets_handled_by(viewer), "e.ticket_id")
            notes_clause = f" AND (NOT e.is_internal OR ({handled_sql}) IS NOT NULL)"
        except EmptyResultSet:
            pass
    return f"{visible_clause}{notes_clause}", [*visible, *notes_params]


def _candidates(text: str, clause: str, params: list[Any]) -> list[_Row]:
    """The newest CANDIDATES matching rows, ranked on their stored vectors (never the whole match set)."""
    # Only Django-compiled subqueries are inlined in `clause`; every value is a query parameter.
    sql = (
        "SELECT c.id, c.ticket_id, ts_rank(c.vector, c.q) AS rank, c.is_internal FROM ("  # noqa: S608
        " SELECT e.id, e.ticket_id, e.is_internal, e.vector, q"
        " FROM search_searchentry e, websearch_to_tsquery('russian'::regconfig, %s) q"
        f" WHERE e.vector @@ q{clause}"
        " ORDER BY e.ticket_id DESC, e.id DESC LIMIT %s) c"
        " ORDER BY rank DESC, c.ticket_id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [text, *params, CANDIDATES, MAX_ROWS])
        return [_Row(int(a), int(b), float(c), bool(d)) for a, b, c, d in cursor.fetchall()]


def _search_postgres(viewer: User, text: str, limit: int) -> list[Hit]:
    if not can_see_internal(viewer):
        # A requester sees few tickets: their scope in SQL is selective.
        scope = _scopes(viewer)
        return _hits(text, _candidates(text, *scope), limit) if scope else []
    # Staff see many: take the newest matches first and check visibility only for those hits.
    rows = _candidates(text, "", [])
    if not rows:
        return []
    ticket_ids = {row.ticket_id for row in rows}
    visible = set(tickets_visible_to(viewer).filter(pk__in=ticket_ids).values_list("pk", flat=True))
    handled = set(tickets_handled_by(viewer).filter(pk__in=visible).values_list("pk", flat=True))
    allowed = [row for row in rows if row.ticket_id in visible and (not row.is_internal or row.ticket_id in handled)]
    if len({row.ticket_id for row in allowed}) < limit and len(rows) == min(CANDIDATES, MAX_ROWS):
        # The capped window held too few of this viewer's tickets: search again inside their scope.
        scope = _scopes(viewer)
        allowed = _candidates(text, *scope) if scope else []
    return _hits(text, allowed, limit)


def _hits(text: str, rows: list[_Row], limit: int) -> list[Hit]:
    best: dict[int, _Row] = {}
    for row in rows:
        if row.ticket_id not in best:
            best[row.ticket_id] = row
        if len(best) >= limit:
            break
    if not best:
        return []
    # Headlines parse the text again: only for the rows shown.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id, ts_headline('russian'::regconfig, e.text, q,"
            " 'StartSel=\x02, StopSel=\x03, MaxWords=28, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \"')"
            " FROM search_searchentry e, websearch_to_tsquery('russian'::regconfig, %s) q WHERE e.id = ANY(%s)",
            [text, [row.entry_id for row in best.values()]],
        )
        snippets = dict(cursor.fetchall())
    return [
        Hit(ticket_id=row.ticket_id, rank=row.rank, snippet=_highlight(snippets.get(row.entry_id) or ""),
            in_note=row.is_internal)
        for row in best.values()
    ]


def _search_sqlite(viewer: User, text: str, limit: int) -> list[Hit]:
    scope = _scopes(viewer)
    query = _fts5_query(text)
    if scope is None or not query:
        return []
    clause, scope_params = scope
    sql = (
        "SELECT e.ticket_id, -bm25(search_entry_fts) AS rank,"  # noqa: S608
        " snippet(search_entry_fts, 0, char(2), char(3), ' … ', 16), e.is_internal"
        " FROM search_entry_fts JOIN search_searchentry e ON e.id = search_entry_fts.rowid"
        f" WHERE search_entry_fts MATCH %s{clause}"
        " ORDER BY rank DESC, e.ticket_id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, *scope_params, MAX_ROWS])
        rows = cursor.fetchall()
    best: dict[int, Hit] = {}
    for ticket_id, rank, snippet, in_note in rows:
        if ticket_id not in best:
            best[ticket_id] = Hit(ticket_id=ticket_id, rank=float(rank), snippet=_highlight(snippet or ""),
                                  in_note=bool(in_note))
        if len(best) >= limit:
            break
    return list(best.values())
