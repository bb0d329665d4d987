from django.contrib import admin

from otklik.web.models import SavedView


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin[SavedView]):
    list_display = ("name", "owner", "query", "order")
    search_fields = ("name", "owner__email")
    raw_id_fields = ("owner",)
