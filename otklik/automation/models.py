from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Organization, Team
from otklik.core.translation import in_language
from otklik.tickets.models import Category, Message, Priority, RequestType, Status, Tag, Ticket, TicketEvent


class AutomationSettings(models.Model):
    """Installation-wide automation settings: one row."""

    default_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("global default responsible"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
        help_text=_("Gets a ticket when a rule's strategy and the team's default find nobody."),
    )
    automation_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("automation account"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
        help_text=_("The staff account that signs the replies and notes sent by triggers."),
    )

    class Meta:
        verbose_name = _("automation settings")
        verbose_name_plural = _("automation settings")

    def __str__(self) -> str:
        return str(_("Automation settings"))

    @classmethod
    def load(cls) -> AutomationSettings:
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class AgentAvailability(models.Model):
    """When an agent can take new tickets: weekly hours in their time zone, and an away flag."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="availability"
    )
    is_away = models.BooleanField(_("away"), default=False, help_text=_("On leave, sick, off shift."))
    away_until = models.DateTimeField(
        _("away until"), null=True, blank=True, help_text=_("Empty: away until the flag is cleared.")
    )
    auto_assign = models.BooleanField(
        _("receives automatic assignments"), null=True, blank=True,
        help_text=_("Empty: agents do, managers and administrators do not."),
    )
    weekly_hours = models.JSONField(
        _("working hours"), default=dict, blank=True,
        help_text=_('Empty: any time. Otherwise every weekday, e.g. {"mon": [["09:00", "18:00"]], '
                    '..., "sat": "off", "sun": "off"}.'),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, help_text=_("Empty: the person's or the installation's.")
    )

    class Meta:
        verbose_name = _("agent availability")
        verbose_name_plural = _("agent availability")

    def __str__(self) -> str:
        return str(self.user)


class TeamRouting(models.Model):
    """Per-team assignment state: the default responsible and the round-robin pointer (row-locked)."""

    team = models.OneToOneField(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="routing")
    default_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("default responsible"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("last assigned by round robin"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )

    class Meta:
        verbose_name = _("team routing")
        verbose_name_plural = _("team routing")

    def __str__(self) -> str:
        return str(self.team)


class AssigneeStrategy(models.TextChoices):
    KEEP = "", _("Do not change the assignee")
    PERSON = "person", _("A named person")
    ROUND_ROBIN = "round_robin", _("Round robin within the team")
    LEAST_LOADED = "least_loaded", _("Least loaded available member of the team")
    UNASSIGN = "unassign", _("Remove the assignee")


class TicketConditions(models.Model):
    """Conditions shared by assignment rules and triggers. Empty means "any"; all given ones must hold."""

    categories = models.ManyToManyField(Category, verbose_name=_("categories"), blank=True, related_name="+")
    include_subcategories = models.BooleanField(_("include subcategories"), default=True)
    request_types = models.ManyToManyField(
        RequestType, verbose_name=_("request types"), blank=True, related_name="+"
    )
    priorities = models.ManyToManyField(Priority, verbose_name=_("priorities"), blank=True, related_name="+")
    sources = models.JSONField(_("sources"), default=list, blank=True)
    organizations = models.ManyToManyField(
        Organization, verbose_name=_("organizations"), blank=True, related_name="+"
    )
    mailboxes = models.TextField(
        _("mailboxes"), blank=True, help_text=_("Addresses the request was sent to, one per line.")
    )
    field_values = models.JSONField(
        _("custom field values"), default=dict, blank=True,
        help_text=_('Field code to accepted values, e.g. {"system": ["VPN", "1C"]}.'),
    )
    time_from = models.TimeField(_("from (time of day)"), null=True, blank=True)
    time_to = models.TimeField(_("to (time of day)"), null=True, blank=True)
    weekdays = models.JSONField(_("weekdays"), default=list, blank=True, help_text=_("0 is Monday."))

    class Meta:
        abstract = True

    def mailbox_list(self) -> list[str]:
        return [line.strip().lower() for line in self.mailboxes.splitlines() if line.strip()]


class AssignmentRule(TicketConditions):
    """Ordered; the first matching rule wins. Runs on create and again when category, request type or
    priority changes (each switch can be turned off)."""

    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    run_on_create = models.BooleanField(_("run when a ticket is created"), default=True)
    run_on_change = models.BooleanField(
        _("run again when category, request type or priority changes"), default=True
    )
    set_team = models.ForeignKey(
        Team, verbose_name=_("set team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee_strategy = models.CharField(
        _("assignee"), max_length=20, choices=AssigneeStrategy.choices, default=AssigneeStrategy.KEEP, blank=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("named person"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    set_priority = models.ForeignKey(
        Priority, verbose_name=_("set priority"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    add_watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("add watchers"), blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return self.name


class CannedReply(models.Model):
    """A prepared answer: offered to agents in the reply editor, and sent by triggers.

    One model for both (it was two). Placeholders such as {requester.first_name} are filled in for the
    ticket. A reply with an owner is personal; with a team, it is offered to that team; with neither,
    to every agent (and only administrators edit it)."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {requester.first_name}, {requester.last_name}, {requester.name}, {requester.email}, "
            "{ticket.number}, {ticket.subject}, {ticket.status}, {agent.first_name}, {agent.name}, "
            "{agent.signature}."
        ),
    )
    body_ru = models.TextField(_("text in Russian"), blank=True)
    language = models.CharField(
        _("language"), max_length=10, blank=True, help_text=_("Empty: offered whatever the agent's language.")
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text=_("Empty: offered to every agent."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("personal for"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+", help_text=_("Set to keep the reply for one agent only."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title

    def text_for(self, language: str) -> str:
        return in_language(self.body, self.body_ru, language)


class MacroAssignee(models.TextChoices):
    KEEP = "", _("Do not change the assignee")
    ME = "me", _("The agent who applies the macro")
    PERSON = "person", _("A named person")
    UNASSIGN = "unassign", _("Remove the assignee")


class MacroText(models.TextChoices):
    NONE = "", _("No text")
    REPLY = "reply", _("Public reply to the requester")
    NOTE = "note", _("Internal note")


class Macro(models.Model):
    """One click that does what an agent would do by hand: set fields, add tags, answer or note.

    Placed like canned replies (one rule, automation.scope): with an owner, personal; with a team, that
    team's; with neither, every agent's (and only administrators edit it). Applied by
    automation.macros.macro_apply through the ticket services, as the agent who clicks it."""

    title = models.CharField(_("title"), max_length=200)
    title_ru = models.CharField(_("title in Russian"), max_length=200, blank=True)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: offered to every agent."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personal for"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Set to keep the macro for one agent only."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    set_status = models.ForeignKey(
        Status, verbose_name=_("set status"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_priority = models.ForeignKey(
        Priority,
        verbose_name=_("set priority"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_category = models.ForeignKey(
        Category,
        verbose_name=_("set category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_team = models.ForeignKey(
        Team, verbose_name=_("move to team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee_action = models.CharField(
        _("assignee"), max_length=20, choices=MacroAssignee.choices, default=MacroAssignee.KEEP, blank=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    add_tags = models.ManyToManyField(Tag, verbose_name=_("add tags"), blank=True, related_name="+")
    remove_tags = models.ManyToManyField(Tag, verbose_name=_("remove tags"), blank=True, related_name="+")
    text_kind = models.CharField(
        _("text"), max_length=10, choices=MacroText.choices, default=MacroText.NONE, blank=True
    )
    body = models.TextField(
        _("text"),
        blank=True,
        help_text=_("The same placeholders as canned replies, e.g. {requester.first_name}, {ticket.number}."),
    )
    body_ru = models.TextField(_("text in Russian"), blank=True)

    class Meta:
        ordering = ["order", "title"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")

    def __str__(self) -> str:
        return self.title

    @property
    def label(self) -> str:
        return in_language(self.title, self.title_ru, get_language() or "")

    def text_for(self, language: str) -> str:
        return in_language(self.body, self.body_ru, language)


class TriggerEvent(models.TextChoices):
    CREATED = "created", _("Ticket created")
    UPDATED = "updated", _("Ticket updated")
    REPLIED_BY_REQUESTER = "replied_by_requester", _("Requester replied")
    REPLIED_BY_AGENT = "replied_by_agent", _("Agent replied")
    STATUS_CHANGED = "status_changed", _("Status changed")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACHED = "sla_breached", _("SLA breached")


class AssigneeState(models.TextChoices):
    ANY = "", _("Any")
    UNASSIGNED = "unassigned", _("Unassigned")
    ASSIGNED = "assigned", _("Assigned")


class NotifyRole(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    ASSIGNEE = "assignee", _("Assignee")
    WATCHERS = "watchers", _("Watchers")
    TEAM_LEAD = "team_lead", _("Team lead")
    ADMINS = "admins", _("Administrators")


class Trigger(TicketConditions):
    """When EVENT and CONDITIONS then ACTIONS. Every matching trigger runs, in order. Changes a trigger
    makes never fire triggers again, so triggers cannot loop."""

    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    event = models.CharField(_("when"), max_length=30, choices=TriggerEvent.choices)
    statuses = models.ManyToManyField(Status, verbose_name=_("current status"), blank=True, related_name="+")
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True, related_name="+")
    assignee_state = models.CharField(
        _("assignee"), max_length=20, choices=AssigneeState.choices, default=AssigneeState.ANY, blank=True
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("has any of the tags"), blank=True, related_name="+", help_text=_("Empty: any tags.")
    )
    # actions
    set_status = models.ForeignKey(
        Status, verbose_name=_("set status"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_priority = models.ForeignKey(
        Priority, verbose_name=_("set priority"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    set_team = models.ForeignKey(
        Team, verbose_name=_("set team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee_strategy = models.CharField(
        _("assign"), max_length=20, choices=AssigneeStrategy.choices, default=AssigneeStrategy.KEEP, blank=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("named person"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    add_tags = models.ManyToManyField(Tag, verbose_name=_("add tags"), blank=True, related_name="+")
    add_note = models.TextField(_("add internal note"), blank=True)
    send_reply = models.ForeignKey(
        CannedReply, verbose_name=_("send a reply to the requester"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    notify_roles = models.JSONField(_("notify"), default=list, blank=True)
    notify_subject = models.CharField(_("notification subject"), max_length=300, blank=True)
    notify_body = models.TextField(_("notification text"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")

    def __str__(self) -> str:
        return self.name


class TriggerOrigin(models.Model):
    """Marks an event as made by a trigger's actions: such events never fire triggers."""

    event = models.OneToOneField(TicketEvent, on_delete=models.CASCADE, related_name="+")
    trigger = models.ForeignKey(Trigger, null=True, on_delete=models.SET_NULL, related_name="+")
    cause_event_id = models.BigIntegerField()
    depth = models.PositiveSmallIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.event_id} by trigger {self.trigger_id}"


class TriggerRun(models.Model):
    """What each trigger did, for the admin (and to prove a trigger fired once per event)."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="runs")
    event = models.ForeignKey(TicketEvent, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    outcome = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["trigger", "event"], name="trigger_run_once_per_event")]

    def __str__(self) -> str:
        return f"{self.trigger_id} on {self.event_id}"


class TimeRuleKind(models.TextChoices):
    AUTO_CLOSE_RESOLVED = "auto_close_resolved", _("Close resolved tickets without an answer within N days")
    REMIND_THEN_CLOSE = "remind_then_close", _("Remind about a clarification after N days, then close")
    ESCALATE_UNASSIGNED = "escalate_unassigned", _("Escalate tickets unassigned for N minutes")


class TimeRule(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=TimeRuleKind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    after_days = models.PositiveIntegerField(
        _("after days"), null=True, blank=True, help_text=_("Auto-close and reminder rules.")
    )
    close_after_days = models.PositiveIntegerField(
        _("then close after more days"), null=True, blank=True,
        help_text=_("Reminder rules: days after the reminder; empty never closes."),
    )
    after_minutes = models.PositiveIntegerField(
        _("after minutes"), null=True, blank=True, help_text=_("Escalation rules.")
    )
    teams = models.ManyToManyField(
        Team, verbose_name=_("only for teams"), blank=True, related_name="+", help_text=_("Empty: every team.")
    )
    escalate_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("also notify"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("time rule")
        verbose_name_plural = _("time rules")

    def __str__(self) -> str:
        return self.name


class TimeRuleStep(models.Model):
    """One step a time rule took on a ticket in one episode (since it was resolved / waiting / unassigned),
    so a step is never repeated, whatever the number of schedulers."""

    rule = models.ForeignKey(TimeRule, on_delete=models.CASCADE, related_name="steps")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    step = models.CharField(max_length=20)
    episode_start = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "ticket", "step", "episode_start"], name="time_rule_step_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.step} {self.ticket_id}"


class ForbiddenWord(models.Model):
    """A phrase or a pattern an agent's public reply must not contain (quality control)."""

    phrase = models.CharField(_("phrase or pattern"), max_length=300)
    is_regex = models.BooleanField(
        _("regular expression"), default=False,
        help_text=_("Off: the phrase matches as whole words, any case, ё and е alike."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("why / what to say instead"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["phrase"]
        verbose_name = _("forbidden word")
        verbose_name_plural = _("forbidden words")

    def __str__(self) -> str:
        return self.phrase


class ForbiddenWordHit(models.Model):
    """A sent public reply that contained a forbidden word (the quality-control report)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    word = models.ForeignKey(ForbiddenWord, null=True, on_delete=models.SET_NULL, related_name="hits")
    phrase = models.CharField(max_length=300)
    matched_text = models.CharField(max_length=300)
    sent_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["message", "phrase"], name="forbidden_hit_once")]

    def __str__(self) -> str:
        return f"{self.phrase} in {self.message_id}"

