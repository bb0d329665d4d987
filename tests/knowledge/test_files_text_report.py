"""Article files and images, an article's text in a reply, and the knowledge report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from otklik.accounts.models import User
from otklik.api.tokens import token_create
from otklik.core.errors import InvalidInput, NotFound, PermissionDenied
from otklik.knowledge import selectors, services
from otklik.knowledge.models import Article, ArticleAttachment, ArticleFeedback, FeedbackKind
from otklik.testing.personas import Personas
from otklik.tickets import services as ticket_services
from otklik.tickets import uploads
from otklik.tickets.inbound import InboundAttachment
from tests.knowledge.conftest import Library

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ZONE = UTC


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _editor(user: User) -> User:
    user.user_permissions.add(Permission.objects.get(codename="change_article", content_type__app_label="knowledge"))
    return User.objects.get(pk=user.pk)  # a fresh row: Django caches permissions per instance


def _add(actor: User, article: Article, name: str = "screen.png", content: bytes = PNG, language: str = "",
         now: datetime | None = None) -> ArticleAttachment:
    return services.article_files_add(actor, article, [InboundAttachment(name, content, "image/png")],
                                      language=language, now=now or datetime(2026, 3, 2, tzinfo=UTC))[0]


# ---------------------------------------------------------------- files


def test_editors_add_files_stored_like_ticket_files(people: Personas, library: Library) -> None:
    stored = _add(people.adam, library.public, "../../screen shot.png")
    assert stored.filename == "screen shot.png"  # the tickets' safe name, no directories
    assert stored.size == len(PNG) and stored.uploaded_by == people.adam
    name = stored.file.name or ""
    assert name.startswith("kb/2026/03/") and stored.token in name
    assert stored.file.read() == PNG


@pytest.mark.parametrize("persona", ["alice", "fiona", "mia", "rita"])
def test_only_staff_writers_who_may_edit_articles_add_files(people: Personas, library: Library, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        _add(people.all_users()[persona], library.public)
    assert not ArticleAttachment.objects.exists()


def test_an_agent_given_the_right_to_edit_articles_adds_files_an_auditor_never(
    people: Personas, library: Library,
) -> None:
    assert _add(_editor(people.fiona), library.public).pk
    with pytest.raises(PermissionDenied):
        _add(_editor(people.rita), library.public)  # read-only, whatever the permission says


def test_files_go_through_the_tickets_one_upload_check(
    people: Personas, library: Library, settings: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[User | None] = []
    real = uploads.attachments_check

    def spy(files: list[InboundAttachment], uploader: User | None) -> None:
        calls.append(uploader)
        real(files, uploader)

    monkeypatch.setattr(uploads, "attachments_check", spy)
    settings.OTKLIK_MAX_UPLOAD_BYTES = 10
    with pytest.raises(InvalidInput):
        _add(people.adam, library.public)
    assert calls == [people.adam]
    assert not ArticleAttachment.objects.exists()


def test_unknown_language_and_empty_uploads_are_refused(people: Personas, library: Library) -> None:
    with pytest.raises(InvalidInput):
        _add(people.adam, library.public, language="de")
    with pytest.raises(InvalidInput):
        services.article_files_add(people.adam, library.public, [], now=datetime(2026, 3, 2, tzinfo=UTC))


def test_images_in_the_body_refer_to_the_article_own_files_of_its_version(
    people: Personas, library: Library,
) -> None:
    both = _add(people.adam, library.public, "screen shot.png")
    russian = _add(people.adam, library.public, "ru-only.png", language="ru")
    library.public.body_en = ("![shot](att:screen%20shot.png) ![ru](att:ru-only.png) [elsewhere](att:missing.png)"
                              " [script](javascript:alert(1))")
    library.public.save()
    body = _client(people.alice).get(reverse("knowledge:article", args=[library.public.slug])).content.decode()
    text = body.split('class="kb-body')[1].split("</div>")[0]
    assert f'src="{reverse("knowledge:file", args=[both.token])}?inline=1"' in text
    assert russian.token not in body  # the Russian version's image is not shown in the English one
    assert 'src="att:' not in text and 'href="att:' not in text  # an unknown name goes nowhere
    assert 'href="javascript' not in text
    assert "screen shot.png" in body.split('id="kb-article-files"')[1]  # listed under the article too


def test_a_file_download_is_the_one_safe_response(people: Personas, library: Library) -> None:
    stored = _add(people.adam, library.public)
    client = _client(people.alice)
    download = client.get(reverse("knowledge:file", args=[stored.token]))
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Security-Policy"].endswith("sandbox")
    inline = client.get(reverse("knowledge:file", args=[stored.token]) + "?inline=1")
    assert inline["Content-Disposition"].startswith("inline") and inline["Content-Type"] == "image/png"
    page = _add(people.adam, library.public, "page.png", b"<html><script>alert(1)</script></html>")
    served = client.get(reverse("knowledge:file", args=[page.token]) + "?inline=1")
    assert served["Content-Type"] == "application/octet-stream"  # judged by its bytes, never inline
    assert served["Content-Disposition"].startswith("attachment")


def test_internal_and_draft_files_never_reach_a_requester(people: Personas, library: Library) -> None:
    internal = _add(people.adam, library.internal)
    draft = _add(people.adam, library.draft)
    visible = set(selectors.article_files_visible_to(people.alice).values_list("pk", flat=True))
    assert internal.pk not in visible and draft.pk not in visible
    assert set(selectors.article_files_visible_to(people.fiona).values_list("pk", flat=True)) == {internal.pk}
    assert _client(people.alice).get(reverse("knowledge:file", args=[internal.token])).status_code == 404
    assert Client().get(reverse("knowledge:file", args=[internal.token])).status_code == 302
    assert not selectors.article_files_visible_to(None).exists()


def test_the_file_page_uploads_and_deletes(
    people: Personas, library: Library, django_capture_on_commit_callbacks: Any,
) -> None:
    client = _client(people.adam)
    url = reverse("knowledge:files", args=[library.public.pk])
    with open(__file__, "rb") as handle:
        assert client.post(url, {"files": handle, "language": "en"}).status_code == 302
    stored = ArticleAttachment.objects.get()
    assert stored.language == "en" and stored.filename == "test_files_text_report.py"
    assert stored.filename in client.get(url).content.decode()
    name, storage = stored.file.name, stored.file.storage
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"delete": stored.pk})
    assert not ArticleAttachment.objects.exists()
    assert storage.exists(name or "") is False
    admin = client.get(reverse("admin:knowledge_article_change", args=[library.public.pk])).content.decode()
    assert url in admin


# ---------------------------------------------------------------- text into a reply


def test_article_text_comes_in_the_reply_language_with_absolute_links(people: Personas, library: Library) -> None:
    image = _add(people.adam, library.public, "ru.png", language="ru")
    library.public.body_ru = "Выключите принтер. ![схема](att:ru.png) См. [сервер](kb:print-server-restart)"
    library.public.save()
    client = _client(people.fiona)
    russian = client.get(reverse("knowledge:article_text", args=[library.public.slug]) + "?lang=ru")
    text = russian.content.decode()
    assert russian["Content-Type"].startswith("text/plain")
    assert text.startswith("Выключите принтер.")
    assert f"http://testserver{reverse('knowledge:file', args=[image.token])}?inline=1" in text
    assert f"(http://testserver{reverse('knowledge:article', args=['print-server-restart'])})" in text
    address = reverse("knowledge:article", args=["printer-offline"])
    assert text.endswith(f"Принтер не печатает: http://testserver{address}")
    english = client.get(reverse("knowledge:article_text", args=[library.public.slug]) + "?lang=en")
    assert english.content.decode().startswith("Turn the printer off and on.")


def test_article_text_falls_back_to_the_version_that_exists(people: Personas, library: Library) -> None:
    text = selectors.reply_text(library.internal_draft, "ru", lambda path: path)
    assert text.startswith("Drivers for the printer.") and "Printer drivers: " in text


def test_the_picker_offers_the_text_in_the_requester_language(people: Personas, library: Library) -> None:
    people.alice.language = "ru"
    people.alice.save()
    ticket = ticket_services.ticket_create(actor=people.alice, requester=people.alice, subject="Принтер",
                                           body_text="?", now=datetime(2026, 3, 2, tzinfo=UTC))
    # The picker comes with the reply box's panel, after the page.
    body = _client(people.adam).get(reverse("ticket_panel_reply_tools", args=[ticket.number])).content.decode()
    assert reverse("knowledge:article_text", args=[library.internal.slug]) + "?lang=ru" in body
    assert reverse("knowledge:article_text", args=[library.draft.slug]) not in body
    assert "<script>" not in body.split('id="kb-text-select"')[1].split("</select>")[0]


# ---------------------------------------------------------------- the report


def _feedback(article: Article, kind: str, at: datetime, subject: str = "") -> None:
    row = ArticleFeedback.objects.create(article=article, kind=kind, subject=subject)
    ArticleFeedback.objects.filter(pk=row.pk).update(created_at=at)


@pytest.fixture
def feedback(library: Library) -> datetime:
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    typed = ((0, "Printer OFFLINE"), (0, "printer offline"), (2, "Printer offline"), (8, "PRINTER OFFLINE"))
    for day, subject in typed:
        _feedback(library.public, FeedbackKind.DEFLECTION, start + timedelta(days=day), subject)
    _feedback(library.internal, FeedbackKind.DEFLECTION, start, "spooler")
    for _ in range(3):
        _feedback(library.public, FeedbackKind.VIEW, start)
    _feedback(library.internal, FeedbackKind.VIEW, start)
    _feedback(library.public, FeedbackKind.HELPFUL, start)
    _feedback(library.public, FeedbackKind.NOT_HELPFUL, start)
    _feedback(library.internal, FeedbackKind.HELPFUL, start)
    _feedback(library.draft, FeedbackKind.VIEW, start)  # unpublished since: in nobody's report
    _feedback(library.draft, FeedbackKind.DEFLECTION, start)
    _feedback(library.public, FeedbackKind.VIEW, start - timedelta(days=5))  # before the period
    return start


def _report(viewer: User, unit: str = "day") -> dict[str, object]:
    return selectors.knowledge_report(viewer, since=datetime(2026, 3, 1, tzinfo=UTC),
                                      until=datetime(2026, 4, 1, tzinfo=UTC), tz=ZONE, unit=unit)


def test_report_counts_deflections_views_and_votes_of_readable_articles(people: Personas, feedback: datetime) -> None:
    data = _report(people.mia)
    assert (data["deflections"], data["views"], data["helpful"], data["not_helpful"]) == (5, 4, 2, 1)
    trend = {row["period"]: row["deflections"] for row in data["trend"]}  # type: ignore[attr-defined]
    assert len(trend) == 31 and trend["2026-03-02"] == 3 and trend["2026-03-04"] == 1 and trend["2026-03-10"] == 1
    assert data["subjects"] == [{"subject": "printer offline", "count": 4}, {"subject": "spooler", "count": 1}]
    most = data["most_viewed"]
    assert [row["slug"] for row in most] == ["printer-offline", "print-server-restart"]  # type: ignore[attr-defined]
    assert most[0]["views"] == 3 and most[0]["deflections"] == 4  # type: ignore[index]
    votes = {row["slug"]: (row["helpful"], row["not_helpful"], row["helpful_share"])
             for row in data["helpfulness"]}  # type: ignore[attr-defined]
    assert votes == {"printer-offline": (1, 1, 0.5), "print-server-restart": (1, 0, 1.0)}


def test_report_by_week_starts_weeks_on_monday(people: Personas, feedback: datetime) -> None:
    trend = {row["period"]: row["deflections"] for row in _report(people.mia, "week")["trend"]}  # type: ignore[attr-defined]
    assert trend["2026-02-23"] == 0 and trend["2026-03-02"] == 4 and trend["2026-03-09"] == 1


def test_report_is_scoped_by_who_reads_the_articles(people: Personas, feedback: datetime) -> None:
    data = _report(people.alice)  # a requester would see public articles only
    assert data["deflections"] == 4 and [row["slug"] for row in data["most_viewed"]] == ["printer-offline"]  # type: ignore[attr-defined]


def test_report_is_for_managers_auditors_and_admins(people: Personas) -> None:
    since, until = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC)
    for persona in ("alice", "fiona"):
        with pytest.raises(NotFound):
            selectors.knowledge_report_for(people.all_users()[persona], since=since, until=until, tz=ZONE, unit="")
    for persona in ("mia", "rita", "adam"):
        data = selectors.knowledge_report_for(people.all_users()[persona], since=since, until=until, tz=ZONE,
                                              unit=["week"])
        assert data["unit"] == "week"
    with pytest.raises(InvalidInput):
        selectors.knowledge_report_for(people.mia, since=since, until=until, tz=ZONE, unit="hour")
    assert selectors.report_unit("", 31) == "day" and selectors.report_unit("", 90) == "week"


def test_report_queries_do_not_grow_with_the_feedback(people: Personas, library: Library, feedback: datetime) -> None:
    with CaptureQueriesContext(connection) as first:
        _report(people.mia)
    for index in range(20):
        extra = Article.objects.create(slug=f"extra-{index}", status="published", title_en=f"Extra {index}")
        _feedback(extra, FeedbackKind.VIEW, feedback)
        _feedback(extra, FeedbackKind.DEFLECTION, feedback, f"subject {index}")
    with CaptureQueriesContext(connection) as second:
        _report(people.mia)
    assert len(second) == len(first) <= 5


def test_report_page_export_and_api(people: Personas, feedback: datetime, now: datetime) -> None:
    page = _client(people.mia).get(reverse("knowledge:report") + "?from=2026-03-01&to=2026-03-31")
    assert page.status_code == 200
    body = page.content.decode()
    assert "printer offline" in body and "The printer does not print" in body
    export = _client(people.mia).get(reverse("knowledge:report") + "?from=2026-03-01&to=2026-03-31&format=csv")
    rows = b"".join(export.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert rows[0].lstrip("\ufeff").startswith("slug,title,views") and rows[1].startswith("printer-offline,")
    bad = _client(people.mia).get(reverse("knowledge:report") + "?unit=hour")
    assert bad.status_code == 200  # the message says what was wrong; the default report is shown
    overview = _client(people.mia).get(reverse("reports:overview")).content.decode()
    assert reverse("knowledge:report") in overview
    assert reverse("knowledge:report") not in _client(people.fiona).get(reverse("reports:overview")).content.decode()
    cache.clear()
    issued = token_create(actor=people.mia, user=people.mia, name="kb", scopes=("read",), now=now)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    answer = api.get("/api/v1/reports/knowledge/?from=2026-03-01&to=2026-03-31&unit=week")
    assert answer.status_code == 200 and answer.json()["deflections"] == 5 and answer.json()["unit"] == "week"
    assert api.get("/api/v1/reports/knowledge/?unit=hour").status_code == 400
