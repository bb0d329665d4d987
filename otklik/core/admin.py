from django.contrib import admin

from otklik.core.models import PeriodicRun


@admin.register(PeriodicRun)
class PeriodicRunAdmin(admin.ModelAdmin[PeriodicRun]):
    list_display = ("job", "period_start", "started_at", "worker")
    list_filter = ("job",)
