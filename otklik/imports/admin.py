"""Imports in the admin: runs with their progress and refused rows, the status table, saved profiles.

Runs are started from the console (`otklik import ... --background` queues a job); the admin shows how
far each got. Refused rows keep the raw row as read, for fixing the source and running again."""

from __future__ import annotations

import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from otklik.imports.models import ExternalRef, ImportProblem, ImportProfile, ImportRun, StatusMapping
from otklik.imports.services import run_options_public


class ImportProblemInline(admin.TabularInline[ImportProblem, ImportRun]):
    model = ImportProblem
    extra = 0
    can_delete = False
    fields = ("position", "kind", "external_id", "reason", "raw_row")
    readonly_fields = fields
    max_num = 0

    @admin.display(description=_("raw row"))
    def raw_row(self, obj: ImportProblem) -> str:
        return json.dumps(obj.raw, ensure_ascii=False)[:500]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin[ImportRun]):
    list_display = (
        "id",
        "source",
        "namespace",
        "state",
        "progress",
        "problem_count",
        "dry_run",
        "created_at",
        "finished_at",
    )
    list_filter = ("source", "state", "dry_run")
    readonly_fields = (
        "source",
        "namespace",
        "public_options",
        "dry_run",
        "state",
        "progress",
        "cursor",
        "counts",
        "problem_count",
        "error",
        "created_at",
        "updated_at",
        "finished_at",
    )
    exclude = ("options", "total", "done")
    inlines = [ImportProblemInline]

    @admin.display(description=_("progress"))
    def progress(self, obj: ImportRun) -> str:
        if obj.total:
            percent = min(100, 100 * obj.done // obj.total)
            return format_html(
                '<progress max="100" value="{}"></progress> {} / {} ({}%)', percent, obj.done, obj.total, percent
            )
        return str(obj.done)

    @admin.display(description=_("options"))
    def public_options(self, obj: ImportRun) -> str:
        return json.dumps(run_options_public(obj), ensure_ascii=False)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(StatusMapping)
class StatusMappingAdmin(admin.ModelAdmin[StatusMapping]):
    list_display = ("namespace", "external", "status")
    list_editable = ("status",)
    list_filter = ("namespace",)


@admin.register(ImportProfile)
class ImportProfileAdmin(admin.ModelAdmin[ImportProfile]):
    list_display = ("name", "updated_at")


@admin.register(ExternalRef)
class ExternalRefAdmin(admin.ModelAdmin[ExternalRef]):
    list_display = ("namespace", "kind", "external_id", "local_id", "created_at")
    list_filter = ("namespace", "kind")
    search_fields = ("external_id",)
    readonly_fields = ("namespace", "kind", "external_id", "local_id", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
