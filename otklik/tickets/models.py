from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Organization, Team, User
from otklik.core.translation import Bilingual


class StatusKind(models.TextChoices):
    """Stable meaning under configurable statuses: SLA, reports and rules reason on these."""

    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


ACTIVE_KINDS = frozenset({StatusKind.NEW, StatusKind.OPEN, StatusKind.WAITING_CUSTOMER, StatusKind.ON_HOLD})
DONE_KINDS = frozenset({StatusKind.RESOLVED, StatusKind.CLOSED})


class Status(Bilingual):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=StatusKind.choices)
    pauses_sla = models.BooleanField(_("pauses SLA clocks"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("status")
        verbose_name_plural = _("statuses")


class Category(Bilingual):
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("full path"), max_length=1000, editable=False, default="")
    # The same path with each level's Russian name (its English one where none): Russian readers see it.
    path_ru = models.CharField(_("full path in Russian"), max_length=1000, editable=False, default="")
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_in_parent")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.path = f"{self.parent.path}{PATH_SEPARATOR}{self.name}" if self.parent else self.name
        own_ru = self.name_ru or self.name
        self.path_ru = f"{self.parent.path_ru or self.parent.path} > {own_ru}" if self.parent else own_ru
        super().save(*args, **kwargs)
        for child in self.children.all():
            child.save()

    @property
    def path_label(self) -> str:
        """The full path in the reader's language (the stored `path` stays the English key rules match on)."""
        if self.path_ru and (get_language() or "").startswith("ru"):
            return self.path_ru
        return self.path

    def __str__(self) -> str:
        return self.path_label

    def subtree_ids(self) -> list[int]:
        return [self.pk, *Category.objects.filter(category_subtree_q([self], field="")).exclude(pk=self.pk)
                .values_list("pk", flat=True)]


# The one subtree rule (issue 11): a category's subtree is the category itself and every category whose
# stored (English) path continues its path after the separator. Reports, SLA policies and automation
# conditions ask these two functions, in memory or as a query.
PATH_SEPARATOR = " > "


def category_in_subtree(root: Category, *, pk: int, path: str) -> bool:
    """Whether the category (`pk`, `path`) is `root` or lies below it."""
    return pk == root.pk or path.startswith(f"{root.path}{PATH_SEPARATOR}")


def category_subtree_q(roots: Iterable[Category], *, field: str = "category") -> Q:
    """Rows whose `field` (a category foreign key; "" for Category rows themselves) is in a root's subtree."""
    prefix = f"{field}__" if field else ""
    roots = list(roots)
    condition = Q(**{f"{prefix}pk__in": [root.pk for root in roots]})
    for root in roots:
        condition |= Q(**{f"{prefix}path__startswith": f"{root.path}{PATH_SEPARATOR}"})
    return condition


class PriorityColor(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class Priority(Bilingual):
    """Criticality. A higher rank is more urgent."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    rank = models.PositiveIntegerField(_("rank"), default=0)
    color = models.CharField(_("colour"), max_length=10, choices=PriorityColor.choices, default=PriorityColor.GREEN)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["-rank"]
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        # Tickets keep a copy of the rank for their sort index (Ticket.priority_rank).
        Ticket.objects.filter(priority=self).exclude(priority_rank=self.rank).update(priority_rank=self.rank)


class Source(models.TextChoices):
    WEB = "web", _("Web portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    TELEGRAM = "telegram", _("Telegram")
    API = "api", _("API")


class SubmitRule(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    ORGANIZATIONS = "organizations", _("Members of the chosen organizations")
    DEPARTMENT_HEADS = "department_heads", _("Department heads only")
    STAFF = "staff", _("Support staff only")


class RequestType(Bilingual):
    """A service in the catalogue: a form bound to a category and a team."""

    code = models.SlugField(_("code"), max_length=80, unique=True)
    group = models.CharField(_("catalogue group"), max_length=200, blank=True)
    group_ru = models.CharField(_("catalogue group in Russian"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_ru = models.TextField(_("description in Russian"), blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT
    )
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT)
    default_priority = models.ForeignKey(
        Priority, verbose_name=_("default priority"), null=True, blank=True, on_delete=models.PROTECT
    )
    requester_sets_priority = models.BooleanField(_("requester chooses criticality"), default=False)
    submit_rule = models.CharField(
        _("who may submit"), max_length=20, choices=SubmitRule.choices, default=SubmitRule.EVERYONE
    )
    allowed_organizations = models.ManyToManyField(
        Organization, verbose_name=_("allowed organizations"), blank=True
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["group", "order", "name"]
        verbose_name = _("request type")
        verbose_name_plural = _("request types")

    @property
    def group_label(self) -> str:
        return self.group_ru if self.group_ru and (get_language() or "").startswith("ru") else self.group

    @property
    def description_label(self) -> str:
        if self.description_ru and (get_language() or "").startswith("ru"):
            return self.description_ru
        return self.description


class FieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    USER = "user", _("User")


class DateRule(models.TextChoices):
    ANY = "any", _("Any date")
    PAST = "past", _("Today or earlier")
    FUTURE = "future", _("Today or later")


class CustomField(models.Model):
    request_type = models.ForeignKey(
        RequestType, verbose_name=_("request type"), on_delete=models.CASCADE, related_name="fields"
    )
    code = models.SlugField(_("code"), max_length=80)
    label = models.CharField(_("label"), max_length=200)
    label_ru = models.CharField(_("label in Russian"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=FieldKind.choices, default=FieldKind.TEXT)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True, help_text=_("A list of options."))
    internal_only = models.BooleanField(_("visible to staff only"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)
    # Date fields only: e.g. "Needed by" is today or later, "Date of birth" today or earlier.
    date_rule = models.CharField(_("allowed dates"), max_length=10, choices=DateRule.choices, default=DateRule.ANY)

    class Meta:
        ordering = ["request_type", "order", "id"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [models.UniqueConstraint(fields=["request_type", "code"], name="custom_field_unique_code")]

    def __str__(self) -> str:
        return f"{self.request_type.code}.{self.code}"


class TicketNumberCounter(models.Model):
    """The next human ticket number, taken under a row lock so numbers never repeat."""

    name = models.CharField(max_length=50, unique=True)
    next_value = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.name}: {self.next_value}"


class Tag(models.Model):
    """A free label on tickets. Names are stored normalised (see tickets.tags.tag_normalise), so "VPN" and
    "vpn " are one tag; any script is allowed."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    number = models.BigIntegerField(_("number"), unique=True)
    subject = models.CharField(_("subject"), max_length=500)
    requester = models.ForeignKey(
        User, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="requested_tickets"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="tickets",
    )
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT)
    request_type = models.ForeignKey(
        RequestType, verbose_name=_("request type"), null=True, blank=True, on_delete=models.PROTECT
    )
    priority = models.ForeignKey(Priority, verbose_name=_("priority"), on_delete=models.PROTECT)
    status = models.ForeignKey(Status, verbose_name=_("status"), on_delete=models.PROTECT)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.WEB)
    assignee = models.ForeignKey(
        User, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    watchers = models.ManyToManyField(User, verbose_name=_("watchers"), blank=True, related_name="watched_tickets")
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="tickets")
    fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="merged_tickets",
    )
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"), db_index=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The earliest running SLA due instant, kept by the SLA clocks for sorting and queues.
    sla_next_due_at = models.DateTimeField(_("next SLA due"), null=True, blank=True, db_index=True)
    # The priority's rank, copied on every save (and by Priority.save when a rank changes), so sorting by
    # criticality walks one index instead of joining and sorting every ticket.
    priority_rank = models.PositiveIntegerField(_("priority rank"), default=0, editable=False)
    _saved_priority_id: int | None = None  # as loaded or last saved: see save()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated"),
            models.Index(fields=["assignee", "-updated_at"], name="ticket_assignee_updated"),
            models.Index(fields=["team", "-updated_at"], name="ticket_team_updated"),
            models.Index(fields=["requester", "-updated_at"], name="ticket_requester_updated"),
            models.Index(fields=["organization", "-updated_at"], name="ticket_org_updated"),
            models.Index(fields=["-priority_rank", "-updated_at", "-id"], name="ticket_priority_rank"),
            # Reports count tickets resolved / first answered in a period (merged ones never count).
            models.Index(fields=["resolved_at"], name="ticket_resolved_report",
                         condition=models.Q(merged_into__isnull=True, resolved_at__isnull=False)),
            models.Index(fields=["first_response_at"], name="ticket_responded_report",
                         condition=models.Q(merged_into__isnull=True, first_response_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Ticket:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._saved_priority_id = instance.__dict__.get("priority_id")
        return instance

    def _rank_follows_priority(self) -> bool:
        """The rank of a new or changed priority copied (True); saves of other fields look at nothing."""
        if self.priority_id is not None and self.priority_id != self._saved_priority_id:
            self.priority_rank = self.priority.rank
            return True
        return False

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._rank_follows_priority():
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "priority" in update_fields:
                kwargs["update_fields"] = {*update_fields, "priority_rank"}
        super().save(*args, **kwargs)
        self._saved_priority_id = self.priority_id

    # What save() does around a new row's INSERT, for `core.inserts.insert_row`.
    def before_insert(self) -> None:
        self._rank_follows_priority()

    def after_insert(self) -> None:
        self._saved_priority_id = self.priority_id


class TicketCount(models.Model):
    """Kept counts of tickets by (team, assignee, status), for the agent's queue counts.

    Written by the database, not by Python: triggers on tickets_ticket (migration 0012) append one row
    per changed (team, assignee, status) with +n or -n in the same transaction as every insert, update
    and delete, whatever wrote it (services, QuerySet.update, bulk loads, imports). Rows are only ever
    appended, never updated in place, so concurrent creates never wait for each other on a counter row;
    a reader sums them (`tickets.counts`), and a periodic job folds them into one row per key. Plain ids
    rather than foreign keys: a deleted team or person must not block, or be blocked by, its counts.
    """

    team_id = models.BigIntegerField(null=True)
    assignee_id = models.BigIntegerField(null=True)
    status_id = models.BigIntegerField()
    n = models.IntegerField()

    class Meta:
        verbose_name = _("kept ticket count")
        verbose_name_plural = _("kept ticket counts")

    def __str__(self) -> str:
        return f"{self.n:+d} for team {self.team_id}, assignee {self.assignee_id}, status {self.status_id}"


class LinkKind(models.TextChoices):
    RELATED = "related", _("Related to")
    DUPLICATE = "duplicate", _("Duplicate of")
    PARENT = "parent", _("Parent of")


class TicketLink(models.Model):
    """A directed link: for PARENT, from_ticket is the parent; for DUPLICATE, from_ticket duplicates to_ticket."""

    from_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    to_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_ticket", "to_ticket", "kind"], name="ticket_link_unique"),
            models.CheckConstraint(condition=~models.Q(from_ticket=models.F("to_ticket")), name="ticket_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.from_ticket_id} {self.kind} {self.to_ticket_id}"


class Message(models.Model):
    """A public reply or an internal note. Internal notes never reach requesters, in any channel."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    is_internal = models.BooleanField(_("internal note"), default=False)
    channel = models.CharField(_("channel"), max_length=20, choices=Source.choices, default=Source.WEB)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("sanitized HTML"), blank=True)
    external_id = models.CharField(_("external id"), max_length=998, blank=True, db_index=True)
    raw_ref = models.CharField(_("raw input reference"), max_length=200, blank=True)
    # The text is Markdown (a formatted staff reply): shown rendered and sanitised, sent as the HTML part.
    markdown = models.BooleanField(_("Markdown"), default=False)
    # Extra addresses a reply by email was copied to (validated by the reply service).
    cc = models.JSONField(_("copied to"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_created")]

    def __str__(self) -> str:
        return f"{'note' if self.is_internal else 'reply'} on {self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.created_at:%Y/%m}/{instance.token}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    token = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=200, default="application/octet-stream")
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    REPLIED = "replied", _("Public reply")
    NOTE_ADDED = "note_added", _("Internal note")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assignee changed")
    TEAM_CHANGED = "team_changed", _("Team changed")
    CATEGORY_CHANGED = "category_changed", _("Category changed")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    REQUEST_TYPE_CHANGED = "request_type_changed", _("Request type changed")
    FIELDS_CHANGED = "fields_changed", _("Fields changed")
    SUBJECT_CHANGED = "subject_changed", _("Subject changed")
    WATCHER_ADDED = "watcher_added", _("Watcher added")
    WATCHER_REMOVED = "watcher_removed", _("Watcher removed")
    LINKED = "linked", _("Linked")
    MERGED = "merged", _("Merged into another ticket")
    MERGED_IN = "merged_in", _("Another ticket merged in")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    RATED = "rated", _("Rated")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    SLA_CHANGED = "sla_changed", _("SLA changed")
    UNLINKED = "unlinked", _("Unlinked")
    TAGS_CHANGED = "tags_changed", _("Tags changed")


class TicketEvent(models.Model):
    """Append-only history of every change, and the outbox that notifications and automation read.

    `data` holds stable codes and ids (never translated labels), e.g. {"from": "open", "to": "resolved"}.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"


# A score at or below this one means the answer did not help: the portal offers to reopen, and the CSAT
# report lists what happened after such scores.
RATING_LOW_SCORE = 2


class TicketRating(models.Model):
    """The requester's score of an answer, one per resolution (keyed by the resolution instant)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ratings")
    rated_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    resolved_at = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        indexes = [models.Index(fields=["created_at"], name="rating_created")]  # CSAT: ratings of a period
        constraints = [
            models.UniqueConstraint(fields=["ticket", "resolved_at"], name="rating_once_per_resolution"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.score} for {self.ticket_id}"

    @property
    def is_low(self) -> bool:
        return self.score <= RATING_LOW_SCORE
