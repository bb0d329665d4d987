"""Import bookkeeping: which source row became which local row, runs with their cursor and report,
column mappings of spreadsheets, and the editable table from a source's statuses to ours."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.tickets.models import Status


class SourceKind(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    HELPDESK = "helpdesk", "django-helpdesk"
    OSTICKET = "osticket", "osTicket"
    ZAMMAD = "zammad", "Zammad"
    JSON = "json", "JSON"


class RefKind(models.TextChoices):
    ORGANIZATION = "organization", _("Organization")
    PERSON = "person", _("Person")
    TICKET = "ticket", _("Ticket")
    MESSAGE = "message", _("Message")
    ATTACHMENT = "attachment", _("Attachment")


class ExternalRef(models.Model):
    """One source row -> one local row: the key that makes a second run update instead of duplicate.

    `namespace` is the source's name in this installation ("helpdesk" by default, or a name given with
    --namespace when two installations of the same product are moved in)."""

    namespace = models.CharField(_("source"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=RefKind.choices)
    external_id = models.CharField(_("id in the source"), max_length=255)
    local_id = models.BigIntegerField(_("local id"))
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("imported row")
        verbose_name_plural = _("imported rows")
        constraints = [
            models.UniqueConstraint(fields=["namespace", "kind", "external_id"], name="import_ref_unique"),
        ]
        indexes = [models.Index(fields=["kind", "local_id"], name="import_ref_local")]

    def __str__(self) -> str:
        return f"{self.namespace}:{self.kind}:{self.external_id} -> {self.local_id}"


class StatusMapping(models.Model):
    """A source's status (its code, number or name) -> an Otklik status. Rows appear on first sight of
    a status, filled with a best guess the admin may correct before (or between) runs."""

    namespace = models.CharField(_("source"), max_length=100)
    external = models.CharField(_("status in the source"), max_length=200)
    status = models.ForeignKey(Status, verbose_name=_("status"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["namespace", "external"]
        verbose_name = _("status mapping")
        verbose_name_plural = _("status mappings")
        constraints = [models.UniqueConstraint(fields=["namespace", "external"], name="import_status_unique")]

    def __str__(self) -> str:
        return f"{self.namespace}: {self.external}"


class ImportProfile(models.Model):
    """A saved column mapping for CSV/XLSX files: {"tickets": {"subject": "Тема", ...}, ...}."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("import profile")
        verbose_name_plural = _("import profiles")

    def __str__(self) -> str:
        return self.name


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportRun(models.Model):
    """One import: what to read, how far it got (the cursor, committed with each batch) and the counts."""

    source = models.CharField(_("source type"), max_length=20, choices=SourceKind.choices)
    namespace = models.CharField(_("source"), max_length=100)
    options = models.JSONField(_("options"), default=dict, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    state = models.CharField(_("state"), max_length=20, choices=RunState.choices, default=RunState.QUEUED)
    cursor = models.CharField(_("cursor"), max_length=500, blank=True)
    total = models.PositiveIntegerField(_("rows in the source"), null=True, blank=True)
    done = models.PositiveIntegerField(_("rows read"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    problem_count = models.PositiveIntegerField(_("rows refused"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"{self.source} #{self.pk}"


class ImportProblem(models.Model):
    """A row the run could not take: where it was, why, and the raw row as read."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="problems")
    position = models.CharField(_("position"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=RefKind.choices)
    external_id = models.CharField(_("id in the source"), max_length=255, blank=True)
    reason = models.TextField(_("reason"))
    raw = models.JSONField(_("raw row"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["run", "id"]
        verbose_name = _("refused row")
        verbose_name_plural = _("refused rows")

    def __str__(self) -> str:
        return f"{self.run_id} {self.position}: {self.reason[:60]}"
