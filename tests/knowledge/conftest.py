from __future__ import annotations

from dataclasses import dataclass

import pytest

from otklik.knowledge.models import Article, ArticleStatus, Audience, Category
from otklik.testing.personas import Personas

PUBLIC_MARK = "kbpublicmarker"
INTERNAL_MARK = "kbinternalmarker"
DRAFT_MARK = "kbdraftmarker"


@dataclass(frozen=True)
class Library:
    public: Article
    internal: Article
    draft: Article
    internal_draft: Article


@pytest.fixture
def library(people: Personas) -> Library:
    category = Category.objects.create(slug="printing", name_en="Printing", name_ru="Печать")
    public = Article.objects.create(
        slug="printer-offline", category=category, audience=Audience.PUBLIC, status=ArticleStatus.PUBLISHED,
        title_en="The printer does not print", body_en=f"Turn the printer off and on. {PUBLIC_MARK}",
        title_ru="Принтер не печатает", body_ru=f"Выключите принтер и включите снова. {PUBLIC_MARK}",
    )
    internal = Article.objects.create(
        slug="print-server-restart", category=category, audience=Audience.INTERNAL,
        status=ArticleStatus.PUBLISHED, title_en="Restarting the print server",
        body_en=f"Printer spooler restart on the print server. {INTERNAL_MARK}",
        title_ru="Перезапуск сервера печати", body_ru=f"Перезапустите диспетчер печати принтера. {INTERNAL_MARK}",
    )
    draft = Article.objects.create(
        slug="printer-paper-jam", category=category, audience=Audience.PUBLIC, status=ArticleStatus.DRAFT,
        title_en="Printer paper jam", body_en=f"Open the printer tray. {DRAFT_MARK}",
        title_ru="Принтер зажевал бумагу", body_ru=f"Откройте лоток принтера. {DRAFT_MARK}",
    )
    internal_draft = Article.objects.create(
        slug="printer-drivers", audience=Audience.INTERNAL, status=ArticleStatus.DRAFT,
        title_en="Printer drivers", body_en=f"Drivers for the printer. {DRAFT_MARK}",
    )
    public.related.add(internal, draft)
    return Library(public=public, internal=internal, draft=draft, internal_draft=internal_draft)
