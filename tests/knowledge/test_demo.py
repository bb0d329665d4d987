from __future__ import annotations

import re

from otklik.knowledge import selectors
from otklik.knowledge.demo import seed_demo_knowledge
from otklik.knowledge.models import Article, ArticleRevision, Audience
from otklik.testing.personas import Personas


def test_the_demo_knowledge_base_is_bilingual_linked_and_reseedable(people: Personas) -> None:
    assert seed_demo_knowledge() >= 20
    articles = list(Article.objects.all())
    assert all(a.title_en and a.title_ru and a.body_en and a.body_ru for a in articles)
    slugs = {a.slug for a in articles}
    links = {slug for a in articles for slug in re.findall(r"\(kb:([\w-]+)\)", a.body_en + a.body_ru)}
    assert links and links <= slugs
    assert {a.audience for a in articles} == {Audience.PUBLIC, Audience.INTERNAL}
    revisions = ArticleRevision.objects.count()
    assert seed_demo_knowledge() == len(articles) and ArticleRevision.objects.count() == revisions
    found = [a.slug for a in selectors.search_articles(people.alice, "принтер не печатает")]
    assert found and found[0] == "printer-not-printing"
    assert "print-spooler-restart" not in found
