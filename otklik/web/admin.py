from django.contrib import admin

from otklik.web.models import CannedReply, SavedView


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin[CannedReply]):
    list_display = ("title", "language", "team", "owner", "is_active", "order")
    list_filter = ("is_active", "language", "team")
    search_fields = ("title", "body")
    list_editable = ("is_active", "order")


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin[SavedView]):
    list_display = ("name", "owner", "query", "order")
    search_fields = ("name", "owner__email")
    raw_id_fields = ("owner",)
