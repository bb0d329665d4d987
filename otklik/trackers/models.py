"""Issue-tracker connections (Redmine, Jira, GitLab, GitHub), their status mappings, the issues linked to
tickets, and the raw webhook calls the trackers make, stored before they are processed."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.automation.models import CannedReply
from otklik.tickets.models import Status, Ticket
from otklik.trackers.crypto import decrypt, encrypt


def new_hook_secret() -> str:
    return secrets.token_urlsafe(32)


class TrackerKind(models.TextChoices):
    # Product names stay as they are in every language.
    REDMINE = "redmine", "Redmine"
    JIRA = "jira", _("Jira (Cloud or Data Center)")
    GITLAB = "gitlab", "GitLab"
    GITHUB = "github", "GitHub"


class TrackerConnection(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("tracker"), max_length=10, choices=TrackerKind.choices)
    base_url = models.URLField(
        _("base URL"), max_length=500,
        help_text=_("Redmine or Jira site, GitLab instance, or https://api.github.com for GitHub."),
    )
    username = models.CharField(
        _("user name"), max_length=200, blank=True,
        help_text=_("Jira Cloud: the account's email (with an API token). Empty: the token is sent as a bearer token."),
    )
    # The API key or token, Fernet-encrypted with a key derived from SECRET_KEY; see `token`.
    credentials_encrypted = models.TextField(_("credentials (encrypted)"), blank=True, editable=False)
    webhook_secret = models.CharField(
        _("webhook secret"), max_length=200, default=new_hook_secret,
        help_text=_("GitHub signs with it, GitLab sends it as X-Gitlab-Token, Jira and Redmine put it in the URL."),
    )
    default_project = models.CharField(
        _("default project"), max_length=200, blank=True,
        help_text=_("Redmine project id, Jira project key, GitLab group/project or GitHub owner/repo."),
    )
    reply_as = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("replies signed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
        help_text=_("Staff account that signs the replies to requesters; empty: the automation account."),
    )
    poll = models.BooleanField(
        _("poll for changes"), default=True, help_text=_("Check linked open issues every few minutes."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    last_sync_at = models.DateTimeField(_("last successful call"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("tracker connection")
        verbose_name_plural = _("tracker connections")

    def __str__(self) -> str:
        return self.name

    @property
    def token(self) -> str:
        return decrypt(self.credentials_encrypted)

    def set_token(self, value: str) -> None:
        self.credentials_encrypted = encrypt(value) if value else ""


class MatchOn(models.TextChoices):
    STATUS = "status", _("Tracker status (Redmine, Jira)")
    STATE = "state", _("Open or closed state (GitLab, GitHub)")
    LABEL = "label", _("Label (GitLab, GitHub)")


class NotifyWhom(models.TextChoices):
    NOBODY = "nobody", _("Nobody")
    ASSIGNEE = "assignee", _("The assignee (else the team lead)")
    TEAM = "team", _("The assignee and the team lead")
    LINKER = "linker", _("Whoever linked the issue")


class StatusMapping(models.Model):
    """One tracker status (or state, or label) and what it does to each linked ticket."""

    connection = models.ForeignKey(
        TrackerConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="mappings"
    )
    match_on = models.CharField(_("match on"), max_length=10, choices=MatchOn.choices, default=MatchOn.STATUS)
    tracker_value = models.CharField(
        _("tracker value"), max_length=200,
        help_text=_('Compared without regard to case, e.g. "Resolved", "closed" or "needs-info".'),
    )
    ticket_status = models.ForeignKey(
        Status, verbose_name=_("set ticket status"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text=_("Empty: leave the ticket's status as it is."),
    )
    answer_requester = models.BooleanField(
        _("answer the requester"), default=False,
        help_text=_("The alert asks the agent to answer the requester."),
    )
    notify = models.CharField(_("alert"), max_length=10, choices=NotifyWhom.choices, default=NotifyWhom.ASSIGNEE)
    reply = models.ForeignKey(
        CannedReply, verbose_name=_("reply to the requester"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Sent once per change, in the requester's language. Placeholders: {{ ticket_number }}, "
                    "{{ ticket_subject }}, {{ requester_name }}, {{ issue_key }}, {{ issue_title }}, "
                    "{{ issue_status }}."),
    )
    order = models.PositiveIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["connection", "order", "id"]
        verbose_name = _("status mapping")
        verbose_name_plural = _("status mappings")
        constraints = [
            models.UniqueConstraint(fields=["connection", "match_on", "tracker_value"], name="tracker_mapping_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_match_on_display()}: {self.tracker_value}"

    @property
    def signal(self) -> str:
        return f"{self.match_on}:{self.tracker_value.strip().lower()}"


class ExternalIssue(models.Model):
    """The last known state of one tracker issue; many tickets may link to it."""

    connection = models.ForeignKey(
        TrackerConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="issues"
    )
    key = models.CharField(
        _("issue"), max_length=300, help_text=_("For example: 123, PROJ-1, group/project#12, owner/repo#12"),
    )
    title = models.CharField(_("title"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=200, blank=True)
    is_closed = models.BooleanField(_("closed"), default=False)
    labels = models.JSONField(_("labels"), default=list, blank=True)
    assignee = models.CharField(_("assignee"), max_length=200, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)

    class Meta:
        ordering = ["connection", "key"]
        verbose_name = _("tracker issue")
        verbose_name_plural = _("tracker issues")
        constraints = [models.UniqueConstraint(fields=["connection", "key"], name="tracker_issue_unique")]

    def __str__(self) -> str:
        return f"{self.connection} {self.key}"


class TicketIssueLink(models.Model):
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="issue_links")
    issue = models.ForeignKey(
        ExternalIssue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="ticket_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("linked"))
    # The mapping signal last applied to this ticket ("status:resolved"): a change acts once per ticket.
    applied_signal = models.CharField(_("last applied tracker state"), max_length=220, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket link to an issue")
        verbose_name_plural = _("ticket links to issues")
        constraints = [models.UniqueConstraint(fields=["ticket", "issue"], name="ticket_issue_link_unique")]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.issue_id}"


class HookState(models.TextChoices):
    RECEIVED = "received", _("Received, waiting to be processed")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored (nothing to do)")
    FAILED = "failed", _("Failed")


class InboundHook(models.Model):
    """A tracker's webhook call, kept as received before it is parsed."""

    connection = models.ForeignKey(
        TrackerConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="hooks"
    )
    # The tracker's delivery id when it sends one, else a hash of the body: the replay key.
    delivery_key = models.CharField(_("delivery"), max_length=200)
    event = models.CharField(_("event"), max_length=100, blank=True)
    headers = models.JSONField(_("headers"), default=dict)
    body = models.BinaryField(_("body"))
    received_at = models.DateTimeField(_("received"), db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=HookState.choices, default=HookState.RECEIVED)
    reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("tracker webhook call")
        verbose_name_plural = _("tracker webhook calls")
        constraints = [
            models.UniqueConstraint(fields=["connection", "delivery_key"], name="tracker_hook_once"),
        ]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.delivery_key} ({self.state})"


class ProfileSource(models.Model):
    """Where the requester card's "customer profile" comes from: a URL template answering JSON."""

    name = models.CharField(_("name"), max_length=200)
    url_template = models.CharField(
        _("URL template"), max_length=500,
        help_text=_("Placeholders {email}, {organization} and {domain}, e.g. https://crm.example/api/customers?email={email}"),
    )
    headers = models.JSONField(_("request headers"), default=dict, blank=True)
    fields = models.JSONField(
        _("fields"), default=list, blank=True,
        help_text=_('Pairs of a dotted path in the answer and its label, e.g. [["account.plan", "Plan"]].'),
    )
    cache_seconds = models.PositiveIntegerField(_("cache for, seconds"), default=600)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("customer profile source")
        verbose_name_plural = _("customer profile sources")

    def __str__(self) -> str:
        return self.name


class CreateState(models.TextChoices):
    PENDING = "pending", _("Waiting for the tracker")
    DONE = "done", _("Created")
    FAILED = "failed", _("Failed (gave up)")


class IssueRequest(models.Model):
    """An issue the agent asked to create from a ticket. The tracker is called by a job after commit, so a
    tracker that is down never blocks the agent; the request waits here and is retried with backoff."""

    connection = models.ForeignKey(TrackerConnection, verbose_name=_("connection"), on_delete=models.CASCADE,
                                   related_name="issue_requests")
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+")
    project = models.CharField(_("project"), max_length=200)
    subject = models.CharField(_("subject"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=CreateState.choices, default=CreateState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    issue = models.ForeignKey(ExternalIssue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("requested"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("issue creation request")
        verbose_name_plural = _("issue creation requests")
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="tracker_issue_request_due")]

    def __str__(self) -> str:
        return f"{self.connection} {self.project}: {self.subject}"
