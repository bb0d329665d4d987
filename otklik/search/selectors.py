"""Full-text search over what the viewer may see.

Visibility is decided by `tickets_visible_to` (which tickets) and by the rule of `messages_visible_to`
(internal notes count only on tickets the viewer handles as staff: `tickets_handled_by`).

PostgreSQL ranks the stored vectors of a capped window of matching rows (newest tickets first) instead of
every match. For requesters the visibility clause is part of that SQL (their scope is small, or, for an
organization's shared tickets, first checked against the index of public rows); for staff only the window's
tickets are checked, and when fewer than a page of them are the viewer's the search runs again inside the
scope. Staff searches first read up to CANDIDATES + 1 matches from the GIN index: few matches are ranked all,
many are walked newest first. Headlines are computed for the shown rows only. A search running past the web
statement timeout is stopped with `SearchTooSlow`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import OperationalError, connection, transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from psycopg.errors import QueryCanceled

from otklik.accounts.access import (
    can_see_internal,
    keys_answers,
    scope_is_personal,
    tickets_handled_by,
    tickets_visible_to,
)
from otklik.accounts.models import User
from otklik.core.errors import DomainError
from otklik.core.sql import row_in

logger = logging.getLogger(__name__)

# Markers the highlighter wraps matches in; control characters cannot come from stored text.
_START, _STOP = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_ROWS = 300
# Matching rows ranked per search on PostgreSQL, newest tickets first: a word in a fifth of a million
# tickets ranks this many rows, not 200,000 (see docs/performance.md).
CANDIDATES = int(getattr(settings, "OTKLIK_SEARCH_CANDIDATES", 2000))
# A staff window holding at least this many of the viewer's tickets (a page of results) is enough; with
# fewer, the search runs again inside their scope. Not the caller's limit: lists ask for up to a thousand
# tickets, more than a window of MAX_ROWS rows can hold, and would search twice every time.
ENOUGH_VISIBLE = 50
# A requester's scope of at most this many tickets is searched inside it with no other check: its rows are
# few whatever the word. Larger scopes ask the public rows' index first (see `_search_postgres`).
SMALL_SCOPE = 1000


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
class Found:
    """A search's hits, and whether it stopped at its cap (`more`: other matches may exist)."""

    hits: list[Hit]
    more: bool


@dataclass(frozen=True)
class _Row:
    entry_id: int
    ticket_id: int
    rank: float
    is_internal: bool


def search(viewer: User, text: str, *, limit: int = 50) -> list[Hit]:
    """Best-ranked tickets first, one hit (its best-matching row) per ticket."""
    return search_found(viewer, text, limit=limit).hits


def search_found(viewer: User, text: str, *, limit: int = 50) -> Found:
    """`search`, saying also whether it stopped at its cap (MAX_ROWS ranked rows or `limit` tickets)."""
    text = " ".join(text.split())[:300]
    if not text or not _WORD.search(text):
        return Found([], more=False)
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


def _candidates(text: str, few: list[int] | None, clause: str, params: list[Any]) -> list[_Row]:
    """Staff: the newest CANDIDATES matching rows inside `clause`, ranked on their stored vectors (never the
    whole match set); `few`: `_matches_if_few(text)`, asked once per search.

    Few matches are read through the GIN index and ranked all; many are walked newest first. The planner
    cannot tell which from its statistics: for a word it has no figure for it walked every search row
    (1.4 s at a million tickets) and for a word of a few percent of the rows it read every match from the
    GIN index (0.8 s) where the walk needs a quarter of that (docs/performance.md, "Search at 1M")."""
    if few is not None:
        return _ranked(text, few, clause, params)
    # Unscoped, the matches are known to be many: walk the newest rows. A scope (the fallback) is left to
    # the planner, which must combine it with the walk.
    return _newest_ranked(text, clause, params, walk=not clause)


def _newest_ranked(text: str, clause: str, params: list[Any], *, walk: bool = False) -> list[_Row]:
    """The newest CANDIDATES matching rows inside `clause`, best rank first; `walk`: newest rows first,
    never from the GIN index (for a word known to match many rows)."""
    # Only Django-compiled subqueries are inlined in `clause`; every value is a query parameter.
    sql = (
        "SELECT c.id, c.ticket_id, ts_rank(c.vector, c.q) AS rank, c.is_internal FROM ("  # noqa: S608
        " SELECT e.id, e.ticket_id, e.is_internal, e.vector, q"
        " FROM search_searchentry e, websearch_to_tsquery('russian'::regconfig, %s) q"
        f" WHERE e.vector @@ q{clause}"
        " ORDER BY e.ticket_id DESC, e.id DESC LIMIT %s) c"
        " ORDER BY rank DESC, c.ticket_id DESC LIMIT %s"
    )
    with _planner_without("enable_bitmapscan", "enable_seqscan") if walk else nullcontext():
        return _read_rows(sql, [text, *params, CANDIDATES, MAX_ROWS])


def _scope_is_small(viewer: User) -> bool:
    """Whether the viewer sees at most SMALL_SCOPE tickets (counted only that far)."""
    return tickets_visible_to(viewer).order_by()[: SMALL_SCOPE + 1].count() <= SMALL_SCOPE


def _matches_if_few(text: str, *, public: bool = False) -> list[int] | None:
    """The ids of every matching row (`public`: every matching row that is not an internal note) when there
    are at most CANDIDATES of them; None when there are more.

    Read from a GIN index (`public`: the one over public rows, migration 0005) and stopped at
    CANDIDATES + 1 rows, so a common word costs a bounded read."""
    public_only = " AND NOT e.is_internal" if public else ""
    with _planner_without("enable_indexscan", "enable_seqscan"), connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id FROM search_searchentry e"  # noqa: S608  (a fixed clause, no input)
            f" WHERE e.vector @@ websearch_to_tsquery('russian'::regconfig, %s){public_only} LIMIT %s",
            [text, CANDIDATES + 1],
        )
        ids = [int(row[0]) for row in cursor.fetchall()]
    return ids if len(ids) <= CANDIDATES else None


def _ranked(text: str, ids: list[int], clause: str, params: list[Any]) -> list[_Row]:
    """The rows `ids` inside `clause`, best rank first (the order of `_candidates`)."""
    if not ids:
        return []
    sql = (
        "SELECT e.id, e.ticket_id, ts_rank(e.vector, q) AS rank, e.is_internal"  # noqa: S608
        " FROM search_searchentry e, websearch_to_tsquery('russian'::regconfig, %s) q"
        f" WHERE e.id = ANY(%s){clause}"
        " ORDER BY rank DESC, e.ticket_id DESC, e.id DESC LIMIT %s"
    )
    return _read_rows(sql, [text, ids, *params, MAX_ROWS])


def _read_rows(sql: str, params: list[Any]) -> list[_Row]:
    """Ranked search rows: (entry id, ticket id, rank, internal) per row of `sql`."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_Row(int(a), int(b), float(c), bool(d)) for a, b, c, d in cursor.fetchall()]


@contextmanager
def _planner_without(*methods: str) -> Iterator[None]:
    """Plan the statements inside without these scan methods (names of planner settings, never input), for
    this transaction only, then as before."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join("current_setting(%s), set_config(%s, 'off', true)" for _name in methods),
                       [name for name in methods for _twice in range(2)])
        before = cursor.fetchone()[0::2]
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join("set_config(%s, %s, true)" for _name in methods),
                           [value for pair in zip(methods, before, strict=True) for value in pair])


def _search_postgres(viewer: User, text: str, limit: int) -> Found:
    if not can_see_internal(viewer):
        # A requester's scope goes into the SQL. A small scope is read as it is. In a large one (an
        # organization's shared tickets) the planner walks the newest rows of the scope, which is fast for a
        # common word and slow when the scope holds few public matches: a word found only in notes walked every
        # row of the scope to find nothing (3-4 s at 1M). So a large scope first asks the public index whether
        # the word's public matches are few, and ranks those at once.
        scope = _scopes(viewer)
        if scope is None:
            return Found([], more=False)
        few = None if _scope_is_small(viewer) else _matches_if_few(text, public=True)
        rows = _ranked(text, few, *scope) if few is not None else _newest_ranked(text, *scope)
        return _hits(text, rows, limit)
    # Staff see many: take the newest matches first and check visibility only for those hits.
    few = _matches_if_few(text)
    rows = _candidates(text, few, "", [])
    if not rows:
        return Found([], more=False)
    # Decided from the hits' rows (`keys_answers`, the scopes' rule per row), not by compiling both scopes.
    answers = keys_answers(viewer, {row.ticket_id for row in rows})
    allowed = [row for row in rows if (answer := answers.get(row.ticket_id)) is not None and answer[0]
               and (not row.is_internal or answer[1])]
    enough = min(limit, ENOUGH_VISIBLE)
    if len({row.ticket_id for row in allowed}) < enough and len(rows) == min(CANDIDATES, MAX_ROWS):
        # The capped window held too few of this viewer's tickets: search again inside their scope.
        scope = _scopes(viewer)
        allowed = _candidates(text, few, *scope) if scope else []
    found = _hits(text, allowed, limit)
    # A full window may have left matches out, even when visibility then dropped some of its rows.
    return Found(found.hits, more=found.more or len(rows) == MAX_ROWS)


def _hits(text: str, rows: list[_Row], limit: int) -> Found:
    best: dict[int, _Row] = {}
    for row in rows:
        if row.ticket_id not in best:
            best[row.ticket_id] = row
        if len(best) >= limit:
            break
    more = len(best) >= limit or len(rows) == MAX_ROWS
    if not best:
        return Found([], more=more)
    # Headlines parse the text again: only for the rows shown.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id, ts_headline('russian'::regconfig, e.text, q,"
            " 'StartSel=\x02, StopSel=\x03, MaxWords=28, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \"')"
            " FROM search_searchentry e, websearch_to_tsquery('russian'::regconfig, %s) q WHERE e.id = ANY(%s)",
            [text, [row.entry_id for row in best.values()]],
        )
        snippets = dict(cursor.fetchall())
    return Found([
        Hit(ticket_id=row.ticket_id, rank=row.rank, snippet=_highlight(snippets.get(row.entry_id) or ""),
            in_note=row.is_internal)
        for row in best.values()
    ], more=more)


def _search_sqlite(viewer: User, text: str, limit: int) -> Found:
    scope = _scopes(viewer)
    query = _fts5_query(text)
    if scope is None or not query:
        return Found([], more=False)
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
    return Found(list(best.values()), more=len(best) >= limit or len(rows) == MAX_ROWS)
