"""Writes of the knowledge base: saving an article with its revision, reader feedback, reply to draft."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from otklik.accounts.access import can_see_internal_on, ensure_staff_writer, messages_visible_to, tickets_visible_to
from otklik.accounts.models import User
from otklik.core.errors import InvalidInput, NotFound, PermissionDenied
from otklik.core.uploads import stored_file_fields
from otklik.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleFeedback,
    ArticleRevision,
    ArticleStatus,
    Audience,
    FeedbackKind,
)
from otklik.knowledge.selectors import may_edit_articles
from otklik.tickets import uploads
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import Message

_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
logger = logging.getLogger(__name__)


@transaction.atomic
def record_revision(article: Article, author: User | None) -> ArticleRevision:
    """Keep the article's current state as its next numbered revision (called after every save)."""
    # Lock the article row so two editors saving at once get distinct numbers.
    Article.objects.select_for_update().filter(pk=article.pk).first()
    last = article.revisions.aggregate(last=Max("number"))["last"] or 0
    return ArticleRevision.objects.create(
        article=article, number=last + 1, status=article.status, audience=article.audience,
        title_en=article.title_en, body_en=article.body_en, title_ru=article.title_ru, body_ru=article.body_ru,
        author=author,
    )


def record_feedback(viewer: User | None, article: Article, kind: str, subject: str = "") -> ArticleFeedback:
    """A view, a vote or a deflection; the caller has read the article through `articles_visible_to`."""
    return ArticleFeedback.objects.create(
        article=article, user=viewer if viewer is not None and viewer.is_authenticated else None,
        kind=FeedbackKind(kind), subject=" ".join(subject.split())[:500],
    )


def _unique_slug(title: str) -> str:
    base = slugify(title, allow_unicode=False)[:80] or "article"
    if not Article.objects.filter(slug=base).exists():
        return base
    return f"{base}-{get_random_string(6).lower()}"


@transaction.atomic
def draft_from_message(actor: User, message_id: int) -> Article:
    """An internal draft article from a public staff reply the actor handles; edited in the admin."""
    message = Message.objects.select_related("ticket").filter(pk=message_id).first()
    ensure_staff_writer(actor)  # a read-only auditor writes no articles
    if message is None or not tickets_visible_to(actor).filter(pk=message.ticket_id).exists():
        raise NotFound()
    if not can_see_internal_on(actor, message.ticket):
        raise PermissionDenied(_("Only the staff handling the ticket can turn its replies into articles."))
    if message.is_internal or not messages_visible_to(actor, message.ticket).filter(pk=message.pk).exists():
        raise PermissionDenied(_("Only public replies can become articles."))
    # The reply's own script decides which language version it fills.
    russian = bool(_CYRILLIC.search(message.body_text or message.ticket.subject))
    title = message.ticket.subject
    article = Article.objects.create(
        slug=_unique_slug(title), status=ArticleStatus.DRAFT, audience=Audience.INTERNAL, created_by=actor,
        **({"title_ru": title, "body_ru": message.body_text} if russian else
           {"title_en": title, "body_en": message.body_text}),
    )
    record_revision(article, actor)
    logger.info("knowledge draft %s made from message %s by user %s", article.pk, message.pk, actor.pk)
    return article


FILE_LANGUAGES = ("", "en", "ru")
MAX_FILES = 10


def _ensure_editor(actor: User) -> None:
    ensure_staff_writer(actor)
    if not may_edit_articles(actor):
        raise PermissionDenied(_("Only staff who may edit articles can change their files."))


@transaction.atomic
def article_files_add(
    actor: User, article: Article, files: Sequence[InboundAttachment], *, language: str = "", now: datetime,
) -> list[ArticleAttachment]:
    """Files for an article (or one of its language versions), checked by the tickets' one upload rule
    (`attachments_check`: size limit and risky types) before anything is written."""
    _ensure_editor(actor)
    if language not in FILE_LANGUAGES:
        raise InvalidInput(_("Unknown language."), errors={"language": language[:10]})
    if not files or len(files) > MAX_FILES:
        raise InvalidInput(_("Attach from one to %(count)d files.") % {"count": MAX_FILES})
    uploads.attachments_check(files, actor)
    stored = []
    for item in files:
        attachment = ArticleAttachment(
            article=article, language=language, uploaded_by=actor, created_at=now,
            **stored_file_fields(item.filename, item.content_type, item.content),
        )
        attachment.file.save(attachment.token, ContentFile(item.content), save=False)
        attachment.save()
        stored.append(attachment)
    logger.info("knowledge article %s: %d files added by user %s", article.pk, len(stored), actor.pk)
    return stored


def article_file_delete(actor: User, attachment: ArticleAttachment) -> None:
    _ensure_editor(actor)
    # The row first: a file left in storage is harmless, a row without its file is a broken link.
    name = attachment.file.name
    storage = attachment.file.storage
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name) if name else None)
    logger.info("knowledge file %s of article %s deleted by user %s", attachment.pk, attachment.article_id, actor.pk)
