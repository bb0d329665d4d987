"""Channel: the knowledge base routes. Every route, every persona and an anonymous visitor.

Requesters read published public articles; staff also published internal ones; drafts are read in the
admin only. Agent tools (similar tickets, article links, reply-to-draft) are for staff, and only on
tickets they see. An unseen article or ticket answers 404, exactly like a missing one.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from otklik.accounts.models import User
from otklik.api.tokens import token_create
from otklik.knowledge.models import Article, ArticleAttachment, ArticleStatus, Audience
from otklik.knowledge.services import article_files_add
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import Ticket
from tests.access.world import HANDLED, PERSONAS, VISIBLE, World

# Internal articles are for every support agent (role); similar tickets for those who handle the ticket.
STAFF = frozenset({"fiona", "sam", "mia", "rita", "adam", "otto", "gina"})
WRITERS = frozenset({"fiona", "sam", "mia", "adam", "otto", "gina"})
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


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


# ---- article files, article text, the knowledge report (the routes added with them)

REPORT_READERS = frozenset({"mia", "rita", "adam"})  # managers, auditors, admins; agents have no "own" part


def _with_files(articles: dict[str, Article], uploader: User) -> dict[str, ArticleAttachment]:
    files = {}
    for key, article in articles.items():
        files[key] = article_files_add(
            uploader, article, [InboundAttachment(f"{key}-file.png", PNG, "image/png")], now=timezone.now(),
        )[0]
    return files


@pytest.mark.parametrize("persona", [*PERSONAS, None])
def test_article_files_reach_exactly_the_article_readers(world: World, persona: str | None) -> None:
    files = _with_files(_articles(), world.people.adam)
    client = Client()
    if persona is not None:
        client.force_login(world.user(persona))
    for key, attachment in files.items():
        for suffix in ("", "?inline=1"):
            response = client.get(reverse("knowledge:file", args=[attachment.token]) + suffix)
            if persona is None:
                assert response.status_code == 302, key  # to the login page, no bytes
                assert b"PNG" not in b"".join(getattr(response, "streaming_content", [response.content]))
                continue
            # Drafts' files: only editors (adam, the admin, in this world).
            readable = _reads(persona, key) or (key == "draft" and persona == "adam")
            assert response.status_code == (200 if readable else 404), (key, suffix)
            if readable:
                disposition = response["Content-Disposition"]
                assert disposition.startswith("inline" if suffix else "attachment"), (key, suffix)


@pytest.mark.parametrize("persona", [*PERSONAS, None])
def test_article_text_report_and_file_manager(world: World, persona: str | None, now: datetime) -> None:
    articles = _articles()
    client = Client()
    if persona is not None:
        client.force_login(world.user(persona))
    for key, article in articles.items():
        response = client.get(reverse("knowledge:article_text", args=[article.slug]) + "?lang=en")
        if persona is None:
            assert response.status_code == 302
        else:
            allowed = persona in STAFF and _reads(persona, key)
            assert response.status_code == (200 if allowed else 404), key
            assert (f"Body of kb {key}".encode() in response.content) is allowed
        manager = client.get(reverse("knowledge:files", args=[article.pk]))
        upload = client.post(reverse("knowledge:files", args=[article.pk]),
                             {"files": SimpleUploadedFile("x.txt", b"x", "text/plain")})
        if persona is None:
            assert (manager.status_code, upload.status_code) == (302, 302)
        else:
            expected = 200 if persona == "adam" else 404  # editors: the admin's right to change articles
            assert manager.status_code == expected, key
            assert upload.status_code == (302 if persona == "adam" else 404), key
    assert ArticleAttachment.objects.count() == (3 if persona == "adam" else 0)
    report = client.get(reverse("knowledge:report"))
    if persona is None:
        assert report.status_code == 302
    else:
        assert report.status_code == (200 if persona in REPORT_READERS else 404)
        if persona is not None and persona in REPORT_READERS:
            assert b"Title of kb draft" not in report.content
    if persona is not None:
        user = world.user(persona)
        cache.clear()
        issued = token_create(actor=user, user=user, name="kb", scopes=("read",), now=now)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        answer = api.get("/api/v1/reports/knowledge/")
        assert answer.status_code == (200 if persona in REPORT_READERS else 404)
    else:
        assert APIClient().get("/api/v1/reports/knowledge/").status_code in {401, 403}
