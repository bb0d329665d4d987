"""Editing the knowledge base: every save keeps a numbered revision with its author."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import User
from otklik.knowledge.models import Article, ArticleFeedback, ArticleRevision, Category
from otklik.knowledge.services import record_revision


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ("name_en", "name_ru", "slug", "position")
    prepopulated_fields = {"slug": ("name_en",)}


class RevisionInline(admin.TabularInline[ArticleRevision, Article]):
    model = ArticleRevision
    extra = 0
    can_delete = False
    fields = ("number", "status", "audience", "title_en", "title_ru", "author", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin[Article]):
    list_display = ("title_en", "title_ru", "category", "audience", "status", "updated_at")
    list_filter = ("status", "audience", "category")
    search_fields = ("title_en", "title_ru", "slug")
    prepopulated_fields = {"slug": ("title_en",)}
    filter_horizontal = ("related",)
    inlines = [RevisionInline]
    readonly_fields = ("files_link",)

    @admin.display(description=_("files and images"))
    def files_link(self, obj: Article) -> str:
        """Files go through the knowledge page's upload (the tickets' one upload check), not an admin field."""
        if obj.pk is None:
            return str(_("Save the article first, then add files."))
        count = obj.attachments.count()
        return format_html('<a href="{}">{}</a>', reverse("knowledge:files", args=[obj.pk]),
                           _("Files and images (%(count)d)") % {"count": count})

    def save_model(self, request: HttpRequest, obj: Article, form: ModelForm[Article], change: bool) -> None:
        author = request.user if isinstance(request.user, User) else None
        if not change:
            obj.created_by = author
        super().save_model(request, obj, form, change)
        record_revision(obj, author)


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(admin.ModelAdmin[ArticleFeedback]):
    list_display = ("article", "kind", "user", "subject", "created_at")
    list_filter = ("kind",)
    readonly_fields = ("article", "kind", "user", "subject", "created_at")
