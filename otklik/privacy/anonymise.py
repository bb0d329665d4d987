"""Anonymising a person (the right of erasure) without breaking the history others rely on.

The person's row stays (tickets protect it, statistics count it) but everything that identifies them is
replaced by a stable pseudonym derived from the row id, so the same person reads the same everywhere:
- explicitly: the account (email, name, phone, signature, password, external ids), Telegram links and
  raw updates, raw mail copies, bounce records, their uploaded files (by OTKLIK_PRIVACY_ATTACHMENTS:
  "delete", the default, or "keep"), and the search index of every message rewritten;
- then a sweep over every text and JSON column of every model (audit log, stored mail headers and
  bodies, notifications, events, chat, ...) replacing the email, phone, login and names wherever they
  were copied. Names are replaced as whole words, so a colleague with the same first name mentioned in
  free text is pseudonymised too: erring towards erasure is the safe side.
Nothing is deleted that statistics count (tickets, messages, ratings, dialogs), so reports stay correct.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import User
from otklik.audit.models import AuditKind
from otklik.audit.services import audit_record
from otklik.chat.models import ChatAttachment
from otklik.chat.models import Conversation as ChatConversation
from otklik.core.errors import InvalidInput
from otklik.mail.models import InboundMail, UndeliverableAddress
from otklik.privacy.export import telegram_updates_of
from otklik.search.indexing import index_message, index_subject
from otklik.telegram.models import Conversation as TelegramConversation
from otklik.telegram.models import InboundUpdate, LinkToken, TelegramAccount
from otklik.telegram.models import OutboundMessage as TelegramOutbound
from otklik.tickets.models import Attachment, Message, Ticket

logger = logging.getLogger(__name__)

PSEUDONYM_DOMAIN = "anonymised.invalid"
# Shorter words are too likely to be parts of ordinary words to be replaced blindly.
MIN_NAME_LENGTH = 3
TEXT_FIELDS = (models.CharField, models.TextField)


def pseudonym(user_id: int) -> str:
    """Stable for a given person and installation, not reversible without the secret key."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"privacy:{user_id}".encode(), hashlib.sha256)
    return f"anon-{digest.hexdigest()[:12]}"


def is_anonymised(user: User) -> bool:
    return user.email.endswith(f"@{PSEUDONYM_DOMAIN}")


@dataclass
class Outcome:
    pseudonym: str
    rows_rewritten: int = 0
    files_deleted: int = 0
    raw_mail_cleared: int = 0
    telegram_rows_deleted: int = 0
    touched: dict[str, int] = field(default_factory=dict)


def _needles(person: User, telegram_usernames: list[str]) -> list[tuple[re.Pattern[str], str]]:
    """Patterns for what identifies the person, most specific first, each with its replacement."""
    alias = pseudonym(person.pk)
    email = f"{alias}@{PSEUDONYM_DOMAIN}"
    pairs: list[tuple[re.Pattern[str], str]] = []
    literals = [person.email, person.username, *(f"@{name}" for name in telegram_usernames)]
    for literal in sorted({value for value in literals if value}, key=len, reverse=True):
        pairs.append((re.compile(re.escape(literal), re.IGNORECASE), email if "@" in literal[1:] else alias))
    if len(re.sub(r"\D", "", person.phone)) >= 5:
        pairs.append((re.compile(re.escape(person.phone)), alias))
    names = [person.get_full_name().strip(), person.first_name.strip(), person.last_name.strip(), *telegram_usernames]
    for name in sorted({n for n in names if len(n) >= MIN_NAME_LENGTH}, key=len, reverse=True):
        pairs.append((re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE), alias))
    return pairs


def _scrub(value: Any, needles: list[tuple[re.Pattern[str], str]]) -> Any:
    if isinstance(value, str):
        for pattern, replacement in needles:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [_scrub(item, needles) for item in value]
    if isinstance(value, dict):
        return {_scrub(key, needles): _scrub(item, needles) for key, item in value.items()}
    return value


def _search_terms(person: User, telegram_usernames: list[str]) -> list[str]:
    names = [person.first_name, person.last_name, *telegram_usernames]
    terms = [person.email, person.username, person.phone if len(person.phone) >= 5 else "", *names]
    # A JSON column may keep non-ASCII text escaped (SQLite): look for that spelling too.
    escaped = [json.dumps(term)[1:-1] for term in terms]
    return sorted({t for t in [*terms, *escaped] if len(t) >= MIN_NAME_LENGTH})


def sweep(needles: list[tuple[re.Pattern[str], str]], terms: list[str], *, skip: set[str]) -> dict[str, int]:
    """Rewrite every text/JSON value that mentions the person, in every table. One query per column to
    find candidates; only matching rows are loaded and rewritten."""
    touched: dict[str, int] = {}
    for model in apps.get_models():
        if model._meta.label in skip or not model._meta.managed or model._meta.proxy:
            continue
        manager = model._base_manager
        for column in model._meta.concrete_fields:
            is_text = isinstance(column, TEXT_FIELDS)
            is_json = isinstance(column, models.JSONField)
            if not (is_text or is_json) or column.primary_key:
                continue
            lookup = column.name if is_text else "_privacy_text"
            rows = manager.all()
            if is_json:
                rows = rows.annotate(_privacy_text=Cast(column.name, models.TextField()))
            condition = Q()
            for term in terms:
                condition |= Q(**{f"{lookup}__icontains": term})
            for pk, value in rows.filter(condition).values_list("pk", column.attname):
                cleaned = _scrub(value, needles)
                if cleaned != value:
                    manager.filter(pk=pk).update(**{column.attname: cleaned})
                    touched[model._meta.label] = touched.get(model._meta.label, 0) + 1
    return touched


def _delete_files(person: User, ticket_ids: list[int]) -> int:
    """The person's own uploads: files of messages they wrote, files they uploaded, their chat files."""
    policy = getattr(settings, "OTKLIK_PRIVACY_ATTACHMENTS", "delete")
    if policy == "keep":
        return 0
    deleted = 0
    for attachment in Attachment.objects.filter(Q(uploaded_by=person) | Q(message__author=person)):
        attachment.file.delete(save=False)
        attachment.delete()
        deleted += 1
    for chat_file in ChatAttachment.objects.filter(message__author=person):
        chat_file.file.delete(save=False)
        chat_file.delete()
        deleted += 1
    return deleted


def _clear_raw_mail(person: User, ticket_ids: list[int]) -> int:
    # The raw copy is the original message, headers and all: it cannot be rewritten, only dropped.
    inbound = InboundMail.objects.filter(
        Q(sender__icontains=person.email) | Q(ticket_id__in=ticket_ids) | Q(ticket_message__author=person)
    )
    cleared = inbound.exclude(raw=b"").update(raw=b"", filename="")
    Message.objects.filter(Q(author=person) | Q(ticket_id__in=ticket_ids)).exclude(raw_ref="").update(raw_ref="")
    UndeliverableAddress.objects.filter(email__iexact=person.email).delete()
    return cleared


def _forget_telegram(person: User) -> tuple[list[str], int]:
    accounts = list(TelegramAccount.objects.filter(user=person))
    usernames = [account.username for account in accounts if account.username]
    deleted = 0
    for account in accounts:
        deleted += InboundUpdate.objects.filter(telegram_updates_of(account.telegram_user_id)).delete()[0]
        if account.chat_id is not None:
            deleted += TelegramOutbound.objects.filter(chat_id=account.chat_id).delete()[0]
    deleted += TelegramConversation.objects.filter(user=person).delete()[0]
    deleted += LinkToken.objects.filter(user=person).delete()[0]
    deleted += TelegramAccount.objects.filter(user=person).delete()[0]
    return usernames, deleted


def person_anonymise(*, actor: User | None, person: User) -> Outcome:
    """Irreversible. The caller has confirmed; the actor is recorded in the audit log by pseudonym only."""
    if actor is not None and actor.pk == person.pk:
        raise InvalidInput(_("An administrator cannot anonymise their own account."))
    if is_anonymised(person):
        raise InvalidInput(_("This person is already anonymised."))
    alias = pseudonym(person.pk)
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        ticket_ids = list(Ticket.objects.filter(requester=person).values_list("pk", flat=True))
        usernames, telegram_deleted = _forget_telegram(person)
        needles = _needles(person, usernames)
        terms = _search_terms(person, usernames)
        outcome = Outcome(pseudonym=alias, telegram_rows_deleted=telegram_deleted)
        outcome.files_deleted = _delete_files(person, ticket_ids)
        outcome.raw_mail_cleared = _clear_raw_mail(person, ticket_ids)
        ChatConversation.objects.filter(requester=person).update(guest_name="", guest_email="")
        outcome.touched = sweep(needles, terms, skip={"accounts.User"})
        outcome.rows_rewritten = sum(outcome.touched.values())
        person.set_unusable_password()
        # A queryset update: the audit receivers would otherwise copy the old email into the log.
        User.objects.filter(pk=person.pk).update(
            email=f"{alias}@{PSEUDONYM_DOMAIN}", username=f"{alias}@{PSEUDONYM_DOMAIN}", first_name=alias,
            last_name="", phone="", signature="", is_active=False, password=person.password,
        )
        person.refresh_from_db()
        # The index copies message text; rebuild the rows of every message the sweep may have changed.
        for message in Message.objects.filter(Q(author=person) | Q(ticket_id__in=ticket_ids)):
            index_message(message)
        for ticket in Ticket.objects.filter(pk__in=ticket_ids):
            index_subject(ticket)
        audit_record(
            AuditKind.PERSON_ANONYMISED, actor=actor, obj=person,
            changes={"pseudonym": alias, "rows_rewritten": outcome.rows_rewritten,
                     "files_deleted": outcome.files_deleted, "raw_mail_cleared": outcome.raw_mail_cleared},
        )
    logger.info("person %s anonymised as %s: %s", person.pk, alias, outcome.touched)
    return outcome
