from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Team
from otklik.core import crypto
from otklik.tickets.models import Category, Message, RequestType, Ticket


class ImapSecurity(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (loopback or trusted network only)")


class PostAction(models.TextChoices):
    LEAVE = "leave", _("Leave on the server")
    SEEN = "seen", _("Mark as read")
    MOVE = "move", _("Move to the processed folder")
    DELETE = "delete", _("Delete")


class Mailbox(models.Model):
    """A support address: where its mail is fetched from, where its tickets go, what we send from."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    email_address = models.EmailField(_("support address"), unique=True,
                                      help_text=_("Customers write here; replies are sent from it."))
    is_active = models.BooleanField(_("active"), default=True)
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(_("IMAP security"), max_length=10, choices=ImapSecurity.choices,
                                     default=ImapSecurity.SSL)
    imap_login = models.CharField(_("IMAP login"), max_length=255, blank=True)
    # Stored as given; production should inject it from a secrets manager (docs/email.md). Never logged.
    imap_password = models.CharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    post_action = models.CharField(_("after fetching"), max_length=10, choices=PostAction.choices,
                                   default=PostAction.SEEN)
    processed_folder = models.CharField(_("processed folder"), max_length=255, blank=True, default="Processed")
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.SET_NULL)
    request_type = models.ForeignKey(RequestType, verbose_name=_("request type"), null=True, blank=True,
                                     on_delete=models.SET_NULL)
    send_acknowledgement = models.BooleanField(_("acknowledge new requests"), default=True)
    acknowledgement_window_minutes = models.PositiveIntegerField(
        _("at most one acknowledgement per sender within (minutes)"), default=60
    )
    reply_to_token = models.BooleanField(
        _("signed Reply-To plus-address"), default=True,
        help_text=_("support+t42.<signature>@…; needs an MTA that delivers plus-addresses to this mailbox."),
    )
    spam_header = models.CharField(_("spam verdict header"), max_length=100, blank=True, default="X-Spam-Flag",
                                   help_text=_("Only trust a header your own mail server sets."))
    spam_value = models.CharField(_("spam verdict value"), max_length=100, blank=True, default="YES")
    allow_remote_images = models.BooleanField(_("show remote images"), default=False)
    # Fetch state, kept by the poller.
    uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    error_count = models.PositiveIntegerField(default=0, editable=False)
    poll_lock_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.email_address}>"


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received, waiting to be processed")
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Quarantined")


class Outcome(models.TextChoices):
    NEW_TICKET = "new_ticket", _("New ticket")
    REPLY = "reply", _("Reply")
    DUPLICATE = "duplicate", _("Duplicate")
    AUTO_REPLY = "auto_reply", _("Auto-reply")
    BOUNCE = "bounce", _("Bounce")
    SPAM = "spam", _("Spam")
    IGNORED = "ignored", _("Ignored")
    FAILED = "failed", _("Failed")


class InboundSource(models.TextChoices):
    IMAP = "imap", _("IMAP")
    IMPORT = "import", _("Imported file")
    PIPE = "pipe", _("Piped by the MTA")


class InboundMail(models.Model):
    """One received message, raw bytes first: stored before it is parsed, so nothing is ever lost."""

    mailbox = models.ForeignKey(Mailbox, verbose_name=_("mailbox"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="inbound")
    address = models.EmailField(_("support address"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=InboundSource.choices)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    filename = models.CharField(_("file"), max_length=500, blank=True)
    raw = models.BinaryField(_("original message"))
    size = models.PositiveIntegerField(_("size"), default=0)
    received_at = models.DateTimeField(_("received"), db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=InboundStatus.choices,
                              default=InboundStatus.RECEIVED)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True, db_index=True)
    fingerprint = models.CharField(_("content fingerprint"), max_length=64, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    ticket_message = models.ForeignKey(Message, verbose_name=_("ticket message"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    thread_rule = models.CharField(_("threaded by"), max_length=30, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"], condition=models.Q(uid__isnull=False),
                name="inbound_mail_unique_imap_uid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbound_mail_status"),
            models.Index(fields=["message_id", "fingerprint"], name="inbound_mail_identity"),
        ]

    def __str__(self) -> str:
        return f"{self.sender or '?'}: {self.subject or self.message_id or self.pk}"


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Not sent (loop guard)")


class OutboundKind(models.TextChoices):
    REPLY = "reply", _("Agent reply")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    NOTIFICATION = "notification", _("Notification")


class OutboundMail(models.Model):
    """A mail we send: written in the caller's transaction (an outbox), sent by a job after commit."""

    kind = models.CharField(_("kind"), max_length=20, choices=OutboundKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=OutboundStatus.choices,
                              default=OutboundStatus.PENDING)
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reply_message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    from_address = models.CharField(_("from"), max_length=254)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    # The first recipient, lower-cased: what the per-recipient loop guard counts.
    recipient_key = models.CharField(max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=998)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=998, unique=True)
    auto_generated = models.BooleanField(default=True)
    dedupe_key = models.CharField(max_length=300, null=True, blank=True, unique=True)
    attachment_ids = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # A sender claims the row until this instant; after a failure it is also the earliest next attempt.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [
            models.Index(fields=["recipient_key", "kind", "created_at"], name="outbound_mail_recipient"),
            models.Index(fields=["status", "created_at"], name="outbound_mail_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_key}: {self.subject}"


class UndeliverableAddress(models.Model):
    """An address a permanent bounce (5.x.x) told us about: no more automatic mail to it."""

    email = models.EmailField(_("address"), unique=True)
    status = models.CharField(_("status code"), max_length=20, blank=True)
    diagnostic = models.TextField(_("diagnostic"), blank=True)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    bounced_at = models.DateTimeField(_("bounced"))

    class Meta:
        ordering = ["-bounced_at"]
        verbose_name = _("undeliverable address")
        verbose_name_plural = _("undeliverable addresses")

    def __str__(self) -> str:
        return self.email


class SmtpSecurity(models.TextChoices):
    STARTTLS = "starttls", _("STARTTLS (usually port 587)")
    SSL = "ssl", _("SSL/TLS from the start (usually port 465)")
    NONE = "none", _("None (a relay on the local network)")


SMTP_PASSWORD_PURPOSE = "otklik.mail.smtp-password"  # noqa: S105  # a key derivation salt, not a password


class MailSettings(models.Model):
    """Outgoing mail server settings kept by administrators: one row. When switched on, Otklik's SMTP
    backend (otklik.mail.smtp) uses them instead of the EMAIL_* environment (docs/email.md)."""

    is_active = models.BooleanField(
        _("use these settings"), default=False,
        help_text=_("Off: mail goes out with the server settings from the environment (EMAIL_HOST, ...)."),
    )
    host = models.CharField(_("SMTP host"), max_length=255, blank=True)
    port = models.PositiveIntegerField(_("SMTP port"), default=587)
    security = models.CharField(_("security"), max_length=10, choices=SmtpSecurity.choices,
                                default=SmtpSecurity.STARTTLS)
    username = models.CharField(_("user name"), max_length=255, blank=True)
    # Fernet-encrypted with a key derived from SECRET_KEY (otklik.core.crypto); read through `password`.
    password_encrypted = models.TextField(_("password (encrypted)"), blank=True, editable=False)
    from_address = models.EmailField(
        _("from address"), blank=True,
        help_text=_("Sender of mail that has no mailbox of its own (notifications, password resets). "
                    "Empty: DEFAULT_FROM_EMAIL."),
    )
    timeout = models.PositiveIntegerField(_("timeout, seconds"), default=30)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("outgoing mail settings")
        verbose_name_plural = _("outgoing mail settings")

    def __str__(self) -> str:
        return str(_("Outgoing mail settings"))

    @property
    def password(self) -> str:
        return crypto.decrypt(self.password_encrypted, purpose=SMTP_PASSWORD_PURPOSE)

    @password.setter
    def password(self, value: str) -> None:
        self.password_encrypted = crypto.encrypt(value, purpose=SMTP_PASSWORD_PURPOSE) if value else ""

    @classmethod
    def load(cls) -> MailSettings:
        row, _created = cls.objects.get_or_create(pk=1)
        return row

    @classmethod
    def in_use(cls) -> MailSettings | None:
        """The row when it is switched on and names a server; None: the environment's settings apply."""
        return cls.objects.filter(pk=1, is_active=True).exclude(host="").first()
