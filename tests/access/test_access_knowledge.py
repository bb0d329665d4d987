"""Channel: the knowledge base routes. Every route, every persona and an anonymous visitor.

Requesters read published public articles; staff also published internal ones; drafts are read in the
admin only. Agent tools (similar tickets, article links, reply-to-draft) are for staff, and only on
tickets they see. An unseen article or ticket answers 404, exactly like a missing one.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from otklik.knowledge.models import Article, ArticleStatus, Audience
from otklik.tickets.models import Ticket
from tests.access.world import HANDLED, PERSONAS, VISIBLE, World

# Internal articles are for every support agent (role); similar tickets for those who handle the ticket.
STAFF = frozenset({"fiona", "sam", "mia", "rita", "adam", "otto", "gina"})
WRITERS = frozenset({"fiona", "sam", "mia", "adam", "otto", "gina"})


def _articles() -> dict[str, Article]:
    made = {}
    for key, audience, status in (
        ("public", Audience.PUBLIC, ArticleStatus.PUBLISHED),
        ("internal", Audience.INTERNAL, ArticleStatus.PUBLISHED),
        ("draft", Audience.PUBLIC, ArticleStatus.DRAFT),
    ):
        made[key] = Article.objects.create(slug=f"kb-{key}", audience=audience, status=status,
                                           title_en=f"Title of kb {key}", body_en=f"Body of kb {key}")
    return made


def _reads(persona: str, article: str) -> bool:
    return article == "public" or (article == "internal" and persona in STAFF)


# (route, method, expected status for a persona, given the scene)
def _expected(route: str, persona: str | None, article: str = "", ticket: str = "") -> set[int]:
    if persona is None:
        return {302}  # to the login page
    if route in {"list", "suggest"}:
        return {200}
    if route == "article":
        return {200} if _reads(persona, article) else {404}
    if route in {"vote", "solved"}:
        return {302} if _reads(persona, article) else {404}
    if route == "article_link":
        return {200} if persona in STAFF and _reads(persona, article) else {404}
    if route == "similar":
        return {200} if ticket in HANDLED[persona] else {404}
    if route == "draft_from_message":
        if persona not in STAFF or ticket not in VISIBLE[persona]:
            return {404}
        return {302}  # created (writers who handle it) or refused with a message: checked on the data below
    raise AssertionError(route)


@pytest.mark.parametrize("persona", [*PERSONAS, None])
def test_knowledge_routes(world: World, persona: str | None) -> None:
    articles = _articles()
    client = Client()
    if persona is not None:
        client.force_login(world.user(persona))
    problems: list[str] = []

    def check(name: str, method: str, url: str, expected: set[int], data: dict[str, str] | None = None) -> None:
        response = client.post(url, data or {}) if method == "post" else client.get(url)
        if response.status_code not in expected:
            problems.append(f"{name} {url}: expected {expected}, got {response.status_code}")

    check("list", "get", reverse("knowledge:list"), _expected("list", persona))
    check("suggest", "get", reverse("knowledge:suggest") + "?subject=kb", _expected("suggest", persona))
    for key, article in articles.items():
        check("article", "get", reverse("knowledge:article", args=[article.slug]),
              _expected("article", persona, key))
        check("article_link", "get", reverse("knowledge:article_link", args=[article.slug]),
              _expected("article_link", persona, key))
        check("vote", "post", reverse("knowledge:vote", args=[article.slug]),
              _expected("vote", persona, key), {"helpful": "yes"})
        check("solved", "post", reverse("knowledge:solved", args=[article.slug]),
              _expected("solved", persona, key), {"subject": "x"})
    tickets_before = Ticket.objects.count()
    for key, ticket in world.tickets.items():
        check("similar", "get", reverse("knowledge:similar", args=[ticket.number]),
              _expected("similar", persona, ticket=key))
        before = Article.objects.count()
        check("draft_from_message", "post", reverse("knowledge:draft_from_message", args=[world.replies[key].pk]),
              _expected("draft_from_message", persona, ticket=key))
        made = Article.objects.count() - before
        should = persona is not None and persona in WRITERS and key in HANDLED[persona]
        if made != int(should):
            problems.append(f"draft_from_message {key}: made {made} articles")
    assert Ticket.objects.count() == tickets_before
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_and_suggestions_never_mention_unreadable_articles(world: World, persona: str) -> None:
    _articles()
    client = Client()
    client.force_login(world.user(persona))
    for url in (reverse("knowledge:list"), reverse("knowledge:list") + "?q=kb",
                reverse("knowledge:suggest") + "?subject=Title+kb"):
        body = client.get(url).content.decode()
        assert "Title of kb public" in body, url
        assert ("Title of kb internal" in body) is (persona in STAFF), url
        assert "Title of kb draft" not in body, url
