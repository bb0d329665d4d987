"""Reads of the knowledge base, and similar resolved tickets for the agent's ticket page.

`articles_visible_to` is the one rule of who reads which article: everyone signed in reads published
public articles, support staff (`access.can_see_internal`) also published internal ones; drafts are read
and edited in the admin only. Every list, search and suggestion starts from it.

Search follows `otklik.search`: on PostgreSQL a Russian and an English text search vector, ranked with
`ts_rank`; on SQLite a light-stem prefix match (no stemmer there), ranked by where the words hit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from otklik.accounts.access import can_see_internal, tickets_visible_to
from otklik.accounts.models import User
from otklik.core.text import markdown_to_html
from otklik.knowledge.models import Article, ArticleStatus, Audience
from otklik.tickets.models import DONE_KINDS, Message, Ticket

_WORD = re.compile(r"\w+", re.UNICODE)
# `[text](kb:slug)` in an article links to another article; rendered to its portal address.
_KB_LINK = re.compile(r"\(kb:([\w-]+)\)")
SIMILAR = 5


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


def render_body(markdown: str) -> str:
    """Markdown to HTML (raw HTML off), article links resolved, then cleaned by the shared sanitiser."""
    def link(match: re.Match[str]) -> str:
        return "(" + reverse("knowledge:article", args=[match.group(1)]) + ")"

    return markdown_to_html(_KB_LINK.sub(link, markdown or ""))


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

    Ranks by the subject's words against other subjects (full-text on PostgreSQL, light stems on SQLite);
    the resolving replies come in the same fetch through a subquery, so the list costs a fixed number of
    queries whatever its length.
    """
    words = _words(ticket.subject)
    if not words:
        return []
    candidates = tickets_visible_to(viewer).filter(status__kind__in=DONE_KINDS).exclude(pk=ticket.pk)
    ids = _rank_tickets(candidates, words, limit)
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


def _rank_tickets(candidates: QuerySet[Ticket], words: list[str], limit: int) -> list[int]:
    if connection.vendor == "postgresql":
        try:
            visible_sql, visible_params = candidates.values("pk").query.sql_with_params()
        except EmptyResultSet:
            return []
        query = " | ".join(words)
        sql = (
            "SELECT t.id, ts_rank(to_tsvector('russian'::regconfig, t.subject), q) AS rank"  # noqa: S608
            " FROM tickets_ticket t, to_tsquery('russian'::regconfig, %s) q"
            " WHERE to_tsvector('russian'::regconfig, t.subject) @@ q"
            f" AND t.id IN ({visible_sql})"
            " ORDER BY rank DESC, t.id DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [query, *visible_params, limit])
            return [row[0] for row in cursor.fetchall()]
    stems = [_stem(word) for word in words]
    condition = Q()
    for stem in stems:
        condition |= _contains(("subject",), stem)
    rows = list(candidates.filter(condition).order_by("-id").values_list("pk", "subject")[:500])
    rows.sort(key=lambda row: (sum(stem in row[1].lower() for stem in stems), row[0]), reverse=True)
    return [row[0] for row in rows[:limit]]
