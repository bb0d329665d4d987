"""Reads of the knowledge base, and similar resolved tickets for the agent's ticket page.

`articles_visible_to` is the one rule of who reads which article: everyone signed in reads published
public articles, support staff (`access.can_see_internal`) also published internal ones; drafts are read
and edited in the admin only. Every list, search and suggestion starts from it.

Search follows `otklik.search`: on PostgreSQL a Russian and an English text search vector, ranked with
`ts_rank`; on SQLite a light-stem prefix match (no stemmer there), ranked by where the words hit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower, TruncDay, TruncWeek
from django.urls import reverse
from django.utils.translation import gettext as _

from otklik.accounts.access import can_see_internal, tickets_visible_to
from otklik.accounts.models import Role, User
from otklik.core.errors import InvalidInput, NotFound
from otklik.core.sql import row_in
from otklik.core.text import markdown_to_html
from otklik.knowledge.models import Article, ArticleAttachment, ArticleFeedback, ArticleStatus, Audience, FeedbackKind
from otklik.tickets.models import DONE_KINDS, Message, Ticket

_WORD = re.compile(r"\w+", re.UNICODE)
# `[text](kb:slug)` in an article links to another article; rendered to its portal address.
_KB_LINK = re.compile(r"\(kb:([\w-]+)\)")
# `![picture](att:name.png)` (or `[file](att:name.pdf)`) refers to one of the article's own files by name;
# a space in a name is written %20.
_ATT_LINK = re.compile(r"\(att:([^)\s]+)\)")
SIMILAR = 5
# Matching tickets ranked per "similar tickets" list, newest first (see docs/performance.md).
SIMILAR_CANDIDATES = int(getattr(settings, "OTKLIK_SIMILAR_CANDIDATES", 500))


def articles_visible_to(viewer: User | None) -> QuerySet[Article]:
    """Published articles the viewer may read; internal ones only for support staff."""
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return Article.objects.none()
    articles = Article.objects.filter(status=ArticleStatus.PUBLISHED)
    if not can_see_internal(viewer):
        articles = articles.filter(audience=Audience.PUBLIC)
    return articles


def article_get_for(viewer: User | None, slug: str) -> Article | None:
    return articles_visible_to(viewer).select_related("category").filter(slug=slug).first()


def related_for(viewer: User | None, article: Article) -> QuerySet[Article]:
    return articles_visible_to(viewer).filter(pk__in=article.related.values("pk"))


def may_edit_articles(viewer: User | None) -> bool:
    """Staff writers with the admin's right to change articles: they upload files and read drafts' files."""
    return bool(
        can_see_internal(viewer) and viewer is not None and (viewer.is_superuser or viewer.can_write)
        and viewer.has_perm("knowledge.change_article")
    )


def article_files_visible_to(viewer: User | None) -> QuerySet[ArticleAttachment]:
    """An article's files go exactly to its readers (`articles_visible_to`); editors also see drafts' files."""
    if may_edit_articles(viewer):
        return ArticleAttachment.objects.all()
    return ArticleAttachment.objects.filter(article__in=articles_visible_to(viewer))


def file_url(attachment: ArticleAttachment) -> str:
    return reverse("knowledge:file", args=[attachment.token])


def article_files(article: Article, language: str | None = None) -> list[ArticleAttachment]:
    """The article's files (one query), only those of both versions and of `language` when it is given."""
    files = ArticleAttachment.objects.filter(article=article)
    if language is not None:
        files = files.filter(language__in=["", language])
    return list(files.order_by("filename", "id"))


def _file_map(files: list[ArticleAttachment], absolute: Callable[[str], str]) -> dict[str, str]:
    """Name to address; images are asked inline (`?inline=1`), the download response decides if they may be."""
    found: dict[str, str] = {}
    for item in files:
        inline = "?inline=1" if item.content_type.startswith("image/") else ""
        found.setdefault(item.filename, absolute(file_url(item) + inline))
    return found


def _resolve_links(markdown: str, files: Mapping[str, str], absolute: Callable[[str], str]) -> str:
    def article_link(match: re.Match[str]) -> str:
        return "(" + absolute(reverse("knowledge:article", args=[match.group(1)])) + ")"

    def file_link(match: re.Match[str]) -> str:
        address = files.get(unquote(match.group(1)))
        return f"({address})" if address else match.group(0)

    return _ATT_LINK.sub(file_link, _KB_LINK.sub(article_link, markdown or ""))


def render_body(markdown: str, files: list[ArticleAttachment] | None = None) -> str:
    """Markdown to HTML (raw HTML off), article and file links resolved, then cleaned by the shared sanitiser.

    An `att:` name that is not one of `files` stays unresolved and the sanitiser drops the unknown scheme."""
    def same(path: str) -> str:
        return path

    return markdown_to_html(_resolve_links(markdown, _file_map(files or [], same), same))


def reply_text(article: Article, language: str, absolute: Callable[[str], str]) -> str:
    """The article's text for an agent's reply in the reply's language (the other version when that one is
    empty), its links made absolute, and the article's address at the end."""
    body_language = "ru" if language.startswith("ru") and article.body_ru else ("en" if article.body_en else "ru")
    files = _file_map(article_files(article, body_language), absolute)
    text = _resolve_links(article.body_in(language), files, absolute).strip()
    title = (article.title_ru or article.title_en) if body_language == "ru" else (article.title_en or article.title_ru)
    return f"{text}\n\n{title or article.slug}: {absolute(reverse('knowledge:article', args=[article.slug]))}"


def _words(text: str) -> list[str]:
    return [word for word in _WORD.findall(" ".join(text.split())[:300].lower()) if len(word) > 1][:12]


def _stem(word: str) -> str:
    """A light stem for the SQLite fallback: cut the usual inflection letters, match the prefix."""
    if len(word) >= 7:
        return word[:-2]
    if len(word) >= 5:
        return word[:-1]
    return word


def _contains(fields: tuple[str, ...], stem: str) -> Q:
    """SQLite's LIKE folds case for ASCII only: also try the capitalised stem, as at a sentence start."""
    condition = Q()
    for field in fields:
        for variant in {stem, stem.capitalize()}:
            condition |= Q(**{f"{field}__icontains": variant})
    return condition


def _tsquery(words: list[str], *, any_word: bool) -> str:
    """A to_tsquery text of plain words only (\\w+, so no tsquery syntax can leak in); the last word is a
    prefix, because suggestions run while the person is still typing it."""
    terms = [*words[:-1], words[-1] + ":*"]
    return (" | " if any_word else " & ").join(terms)


def _rank_articles(visible: QuerySet[Article], words: list[str], *, any_word: bool, limit: int) -> list[int]:
    try:
        visible_sql, visible_params = visible.values("pk").query.sql_with_params()
    except EmptyResultSet:
        return []
    if connection.vendor == "postgresql":
        query = _tsquery(words, any_word=any_word)
        # Titles weigh more than bodies; each language is stemmed by its own dictionary.
        vector_ru = ("setweight(to_tsvector('russian'::regconfig, a.title_ru), 'A')"
                     " || setweight(to_tsvector('russian'::regconfig, a.body_ru), 'B')")
        vector_en = ("setweight(to_tsvector('english'::regconfig, a.title_en), 'A')"
                     " || setweight(to_tsvector('english'::regconfig, a.body_en), 'B')")
        sql = (
            f"SELECT a.id, GREATEST(ts_rank({vector_ru}, qr), ts_rank({vector_en}, qe)) AS rank"  # noqa: S608
            " FROM knowledge_article a, to_tsquery('russian'::regconfig, %s) qr,"
            " to_tsquery('english'::regconfig, %s) qe"
            f" WHERE ({vector_ru} @@ qr OR {vector_en} @@ qe) AND a.id IN ({visible_sql})"
            " ORDER BY rank DESC, a.id DESC LIMIT %s"
        )
        params: list[Any] = [query, query, *visible_params, limit]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]
    stems = [_stem(word) for word in words]
    conditions = [_contains(("title_en", "title_ru", "body_en", "body_ru"), stem) for stem in stems]
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = (combined | condition) if any_word else (combined & condition)
    rows = list(visible.filter(combined).values_list("pk", "title_en", "title_ru", "body_en", "body_ru")[:500])

    def score(row: tuple[int, str, str, str, str]) -> tuple[int, int]:
        titles, bodies = f"{row[1]} {row[2]}".lower(), f"{row[3]} {row[4]}".lower()
        return (sum(3 * (stem in titles) + (stem in bodies) for stem in stems), row[0])

    return [row[0] for row in sorted(rows, key=score, reverse=True)[:limit]]


def search_articles(viewer: User | None, text: str, *, limit: int = 50, any_word: bool = False) -> list[Article]:
    """Best-ranked visible articles for the words of `text`, in one ranking query and one fetch."""
    words = _words(text)
    if not words:
        return []
    ids = _rank_articles(articles_visible_to(viewer), words, any_word=any_word, limit=limit)
    by_id = Article.objects.select_related("category").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def suggest_articles(viewer: User | None, subject: str, *, limit: int = 5) -> list[Article]:
    """Articles for a subject being typed: any word may match, the best few first."""
    return search_articles(viewer, subject, limit=limit, any_word=True)


@dataclass(frozen=True)
class SimilarTicket:
    ticket: Ticket
    resolution: str


def similar_tickets(viewer: User | None, ticket: Ticket, *, limit: int = SIMILAR) -> list[SimilarTicket]:
    """The most similar resolved tickets the viewer may see, each with the last public staff reply.

    Similar means: resolved or closed, not merged into another ticket (its conversation lives in the
    target), not the ticket itself, and visible to the viewer through `tickets_visible_to`. On PostgreSQL
    the words come from the ticket's stored search vectors (subject and first public message) and are
    matched against the GIN-indexed subject rows of `search_searchentry`; only the newest
    SIMILAR_CANDIDATES matching tickets are ranked. On SQLite the subject's light stems are matched.
    The resolving replies come in the same fetch through a subquery, so the list costs a fixed number
    of queries whatever its length.
    """
    candidates = (tickets_visible_to(viewer).filter(status__kind__in=DONE_KINDS, merged_into__isnull=True)
                  .exclude(pk=ticket.pk))
    if connection.vendor == "postgresql":
        ids = _rank_tickets_postgres(candidates, ticket, limit)
    else:
        words = _words(ticket.subject)
        ids = _rank_tickets_sqlite(candidates, words, limit) if words else []
    if not ids:
        return []
    last_reply = (
        Message.objects.filter(ticket_id=OuterRef("pk"), is_internal=False)
        .exclude(author_id=OuterRef("requester_id"))
        .order_by("-created_at", "-id")
        .values("body_text")[:1]
    )
    rows = Ticket.objects.filter(pk__in=ids).select_related("status").annotate(resolution=Subquery(last_reply))
    by_id = {row.pk: row for row in rows}
    return [SimilarTicket(ticket=by_id[pk], resolution=getattr(by_id[pk], "resolution", None) or "")
            for pk in ids if pk in by_id]


# The words of the ticket, read from its stored vectors: the subject's lexemes (the ticket number aside)
# and the first lexemes of its first public message, in the order they were written. Lexemes are already
# stemmed: each is quoted into the tsquery as it is (quotes and backslashes doubled), never parsed again.
SUBJECT_WORDS = 16
FIRST_MESSAGE_WORDS = 8
_QUERY_SQL = r"""
SELECT string_agg('''' || replace(replace(w.lexeme, '\', '\\'), '''', '''''') || '''', ' | ')
FROM (
  (SELECT u.lexeme FROM search_searchentry e, unnest(e.vector) u
   WHERE e.ticket_id = %s AND e.message_id IS NULL AND u.lexeme !~ '^[0-9]+$'
   ORDER BY u.positions[1] LIMIT %s)
  UNION
  (SELECT u.lexeme FROM (SELECT e.vector FROM search_searchentry e
                         WHERE e.ticket_id = %s AND e.message_id IS NOT NULL AND NOT e.is_internal
                         ORDER BY e.message_id LIMIT 1) f, unnest(f.vector) u
   WHERE u.lexeme !~ '^[0-9]+$'
   ORDER BY u.positions[1] LIMIT %s)
) w
"""


def _similar_query(ticket: Ticket) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(_QUERY_SQL, [ticket.pk, SUBJECT_WORDS, ticket.pk, FIRST_MESSAGE_WORDS])
        row = cursor.fetchone()
    return str(row[0]) if row and row[0] else None


def _rank_tickets_postgres(candidates: QuerySet[Ticket], ticket: Ticket, limit: int) -> list[int]:
    """Rank the newest SIMILAR_CANDIDATES tickets whose subject matches, then keep those in `candidates`.

    The window is taken without the viewer's scope (a walk over the subject rows, newest first, that
    stops at the cap; or the GIN index when the words are rare), and only its rows are checked against
    the scope, by primary key. A viewer who sees too few of the window (a narrow scope) gets every match
    inside their scope ranked instead."""
    query = _similar_query(ticket)
    if query is None:
        return []
    try:
        # Django compiles the visibility and the "resolved, not merged" rule; every value is a parameter.
        visible_sql, visible_params = candidates.order_by().values("pk").query.sql_with_params()
        # The same rule for one window row, as a scalar subquery: the planner cannot turn it into a join
        # that hashes the viewer's whole scope (a million rows for an admin); each row is one index probe.
        row_sql, row_params = row_in(candidates, "c.ticket_id")
    except EmptyResultSet:
        return []
    window = (
        "SELECT e.ticket_id, e.vector, q FROM search_searchentry e, CAST(%s AS tsquery) q"
        " WHERE e.message_id IS NULL AND e.vector @@ q ORDER BY e.ticket_id DESC LIMIT %s"
    )
    ranked = (
        # `matched`: the window's size, counted before the scope check (the cap was reached or not).
        "SELECT c.ticket_id, ts_rank(c.vector, c.q) AS rank, c.matched FROM"
        " (SELECT w.*, count(*) OVER () AS matched FROM ({window}) w) c{scope}"
        " ORDER BY rank DESC, c.ticket_id DESC LIMIT %s"
    )
    sql = ranked.format(window=window, scope=f" WHERE ({row_sql}) IS NOT NULL")
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, SIMILAR_CANDIDATES, *row_params, limit])
        rows = cursor.fetchall()
        ids = [row[0] for row in rows]
        if len(ids) < limit and (not rows or rows[0][2] >= SIMILAR_CANDIDATES):
            # Too few of the window are the viewer's: their scope is narrow next to the matches (under 1% of
            # the window), so rank every match inside it; no newest-first walk, which would pass over most
            # of the table to find the viewer's few tickets.
            cursor.execute(
                "SELECT e.ticket_id, ts_rank(e.vector, q) AS rank"  # noqa: S608
                " FROM search_searchentry e, CAST(%s AS tsquery) q"
                f" WHERE e.message_id IS NULL AND e.vector @@ q AND e.ticket_id IN ({visible_sql})"
                " ORDER BY rank DESC, e.ticket_id DESC LIMIT %s",
                [query, *visible_params, limit],
            )
            ids = [row[0] for row in cursor.fetchall()]
    return ids


def _rank_tickets_sqlite(candidates: QuerySet[Ticket], words: list[str], limit: int) -> list[int]:
    stems = [_stem(word) for word in words]
    condition = Q()
    for stem in stems:
        condition |= _contains(("subject",), stem)
    rows = list(candidates.filter(condition).order_by("-id").values_list("pk", "subject")[:SIMILAR_CANDIDATES])
    rows.sort(key=lambda row: (sum(stem in row[1].lower() for stem in stems), row[0]), reverse=True)
    return [row[0] for row in rows[:limit]]


# ---------------------------------------------------------------- the knowledge report

REPORT_ARTICLES = 20
REPORT_SUBJECTS = 20
REPORT_COLUMNS = ("slug", "title", "views", "helpful", "not_helpful", "deflections", "helpful_share")


def may_see_knowledge_report(viewer: User | None) -> bool:
    """Managers, auditors and admins: the other reports' readers whose figures are not only their own
    (an agent's reports show their own tickets; the knowledge base has no "own" part)."""
    return bool(can_see_internal(viewer) and viewer is not None
                and (viewer.is_superuser or viewer.role != Role.AGENT))


def _periods(start: date, end: date, unit: str) -> list[date]:
    first = start - timedelta(days=start.weekday()) if unit == "week" else start
    step = timedelta(days=7 if unit == "week" else 1)
    days = []
    while first <= end:
        days.append(first)
        first += step
    return days


def knowledge_report(
    viewer: User, *, since: datetime, until: datetime, tz: tzinfo, unit: str = "day",
) -> dict[str, Any]:
    """Deflections (count, trend per day or week, the subjects people typed), views and helpfulness votes
    of the articles the viewer may read, for feedback in [since, until).

    Three grouped queries on the feedback table (per article, per period, per subject) and one for the
    titles of the articles shown; the (kind, created_at) index serves the deflection ones."""
    # Every kind is named so the period is read through the (kind, created_at) index, one range per kind.
    feedback = ArticleFeedback.objects.filter(
        kind__in=FeedbackKind.values, created_at__gte=since, created_at__lt=until,
        article__in=articles_visible_to(viewer).values("pk"),
    )
    per_article = list(feedback.values("article_id").annotate(
        views=Count("id", filter=Q(kind=FeedbackKind.VIEW)),
        helpful=Count("id", filter=Q(kind=FeedbackKind.HELPFUL)),
        not_helpful=Count("id", filter=Q(kind=FeedbackKind.NOT_HELPFUL)),
        deflections=Count("id", filter=Q(kind=FeedbackKind.DEFLECTION)),
    ).order_by())
    deflected = feedback.filter(kind=FeedbackKind.DEFLECTION)
    trunc = TruncWeek if unit == "week" else TruncDay
    counts = {
        (row["period"].date() if isinstance(row["period"], datetime) else row["period"]): row["n"]
        for row in deflected.annotate(period=trunc("created_at", tzinfo=tz)).values("period")
        .annotate(n=Count("id")).order_by()
    }
    subjects = [
        {"subject": row["typed"], "count": row["n"]}
        for row in deflected.exclude(subject="").annotate(typed=Lower("subject")).values("typed")
        .annotate(n=Count("id")).order_by("-n", "typed")[:REPORT_SUBJECTS]
    ]
    most_viewed = sorted((row for row in per_article if row["views"]),
                         key=lambda row: (-row["views"], row["article_id"]))[:REPORT_ARTICLES]
    voted = sorted((row for row in per_article if row["helpful"] or row["not_helpful"]),
                   key=lambda row: (-(row["helpful"] + row["not_helpful"]), row["article_id"]))[:REPORT_ARTICLES]
    shown = {row["article_id"] for row in [*most_viewed, *voted]}
    articles = {article.pk: article for article in Article.objects.filter(pk__in=shown).only(
        "pk", "slug", "title_en", "title_ru", "body_en", "body_ru")}

    def described(row: Mapping[str, Any]) -> dict[str, Any]:
        article = articles[row["article_id"]]
        votes = row["helpful"] + row["not_helpful"]
        return {"slug": article.slug, "title": article.title, "views": row["views"], "helpful": row["helpful"],
                "not_helpful": row["not_helpful"], "deflections": row["deflections"],
                "helpful_share": round(row["helpful"] / votes, 3) if votes else None}

    start = since.astimezone(tz).date()
    end = (until - timedelta(microseconds=1)).astimezone(tz).date()
    return {
        "from": start.isoformat(), "to": end.isoformat(), "unit": unit,
        "deflections": sum(row["deflections"] for row in per_article),
        "views": sum(row["views"] for row in per_article),
        "helpful": sum(row["helpful"] for row in per_article),
        "not_helpful": sum(row["not_helpful"] for row in per_article),
        "trend": [{"period": day.isoformat(), "deflections": counts.get(day, 0)}
                  for day in _periods(start, end, unit)],
        "subjects": subjects,
        "most_viewed": [described(row) for row in most_viewed],
        "helpfulness": [described(row) for row in voted],
    }


def report_unit(value: Any, days: int) -> str:
    """`unit=day|week`; by default days for up to two months, weeks for longer periods."""
    text = str((value[0] if value else "") if isinstance(value, list | tuple) else (value or ""))
    if not text:
        return "day" if days <= 62 else "week"
    if text not in {"day", "week"}:
        raise InvalidInput(_("Unit must be day or week."), errors={"unit": text[:20]})
    return text


def knowledge_report_for(viewer: User, *, since: datetime, until: datetime, tz: tzinfo, unit: Any) -> dict[str, Any]:
    """The report for its readers only (`may_see_knowledge_report`); anyone else gets NotFound."""
    if not may_see_knowledge_report(viewer):
        raise NotFound()
    days = (until - since).days
    return knowledge_report(viewer, since=since, until=until, tz=tz, unit=report_unit(unit, days))


def report_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per article shown (most viewed, then the other voted ones), for CSV/XLSX."""
    seen: set[str] = set()
    rows = []
    for row in [*data["most_viewed"], *data["helpfulness"]]:
        if row["slug"] not in seen:
            seen.add(row["slug"])
            rows.append(row)
    return rows
