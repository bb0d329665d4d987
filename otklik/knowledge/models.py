"""Knowledge base: articles in categories, in English and Russian, public or for agents only.

An article keeps both language versions in one row (the portal shows the reader's language and falls
back to the other), and every saved state is kept as a numbered revision for history.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import User


class Category(models.Model):
    slug = models.SlugField(_("code"), unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name_en"]
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ru if (get_language() or "en").startswith("ru") and self.name_ru else self.name_en


class Audience(models.TextChoices):
    PUBLIC = "public", _("Everyone (portal)")
    INTERNAL = "internal", _("Support staff only")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Article(models.Model):
    slug = models.SlugField(_("code"), unique=True, max_length=120)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="articles", null=True, blank=True)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices, default=Audience.PUBLIC)
    status = models.CharField(_("status"), max_length=20, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    body_en = models.TextField(_("text (English, Markdown)"), blank=True)
    title_ru = models.CharField(_("title (Russian)"), max_length=300, blank=True)
    body_ru = models.TextField(_("text (Russian, Markdown)"), blank=True)
    related = models.ManyToManyField("self", verbose_name=_("related articles"), blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.title

    def _russian(self) -> bool:
        return (get_language() or "en").startswith("ru")

    @property
    def title(self) -> str:
        first, second = (self.title_ru, self.title_en) if self._russian() else (self.title_en, self.title_ru)
        return first or second or self.slug

    @property
    def body(self) -> str:
        return self.body_ru if self.shown_language == "ru" else self.body_en

    @property
    def shown_language(self) -> str:
        """The version the reader's language shows: theirs, or the other one when theirs is empty."""
        if self._russian():
            return "ru" if self.title_ru or self.body_ru else "en"
        return "en" if self.title_en or self.body_en else "ru"

    def body_in(self, language: str) -> str:
        """The text in a given language (a reply's), falling back to the other version when it is empty."""
        russian = language.startswith("ru")
        first, second = (self.body_ru, self.body_en) if russian else (self.body_en, self.body_ru)
        return first or second


class ArticleRevision(models.Model):
    """One saved state of an article, numbered from 1; the article row is always the newest."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=ArticleStatus.choices)
    audience = models.CharField(max_length=20, choices=Audience.choices)
    title_en = models.CharField(max_length=300, blank=True)
    body_en = models.TextField(blank=True)
    title_ru = models.CharField(max_length=300, blank=True)
    body_ru = models.TextField(blank=True)
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_revision_number_unique")]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


def article_file_path(instance: ArticleAttachment, filename: str) -> str:
    return f"kb/{instance.created_at:%Y/%m}/{instance.token}"


class ArticleAttachment(models.Model):
    """A file or image of an article, stored like a ticket attachment (a random token names it) and served
    through the one download response to whoever may read the article (`selectors.article_files_visible_to`).
    `language` "" belongs to both versions; "en" or "ru" to that version only."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    language = models.CharField(_("language"), max_length=2, blank=True,
                                choices=[("", _("Both versions")), ("en", _("English")), ("ru", _("Russian"))])
    token = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to=article_file_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=200, default="application/octet-stream")
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["article", "filename", "id"]
        verbose_name = _("article file")
        verbose_name_plural = _("article files")

    def __str__(self) -> str:
        return self.filename


class FeedbackKind(models.TextChoices):
    VIEW = "view", _("View")
    HELPFUL = "helpful", _("Helpful")
    NOT_HELPFUL = "not_helpful", _("Not helpful")
    DEFLECTION = "deflection", _("Solved without a request")


class ArticleFeedback(models.Model):
    """What readers did with an article: viewed it, voted on it, or solved their problem with it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20, choices=FeedbackKind.choices)
    # For a deflection, the subject the requester was typing: shows what people look for.
    subject = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "created_at"], name="kb_feedback_kind_at")]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")

    def __str__(self) -> str:
        return f"{self.kind} {self.article_id}"
