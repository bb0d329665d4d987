"""Forbidden words in agents' public replies: hold before sending, report after.

Matching is case-insensitive and treats "ё" as "е" (Russian writers use both). A plain phrase matches
as whole words with any spacing between them; a pattern is a Python regular expression.

For the reply form (web, API, bot), call before `ticket_reply`:

    from otklik.automation.forbidden import ReplyHeld, reply_guard
    try:
        reply_guard(body_text=text, body_html=html, confirmed=form.cleaned_data["send_anyway"])
    except ReplyHeld as held:
        # show held.matches (phrase, matched_text, note) and a "send anyway" checkbox
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from otklik.accounts.models import Role
from otklik.automation.models import ForbiddenWord, ForbiddenWordHit
from otklik.core.errors import DomainError
from otklik.tickets.models import Message

logger = logging.getLogger(__name__)

MAX_PATTERN_LENGTH = 300


@dataclass(frozen=True)
class ForbiddenMatch:
    word_id: int
    phrase: str
    matched_text: str
    start: int
    end: int
    note: str = ""


class ReplyHeld(DomainError):
    """An agent's public reply contains forbidden words and was not confirmed."""

    code = "reply_held"
    default_message = "The reply contains forbidden words."

    def __init__(self, matches: list[ForbiddenMatch]) -> None:
        phrases = ", ".join(sorted({match.matched_text for match in matches}))
        super().__init__(_("The reply contains forbidden words: %(phrases)s") % {"phrases": phrases})
        self.matches = matches


def normalize(text: str) -> str:
    """Lower case with ё as е; keeps the length of ordinary text, so match offsets still point into it."""
    return text.lower().replace("ё", "е")


def _compile(phrase: str, is_regex: bool) -> re.Pattern[str]:
    if is_regex:
        # Only ё is folded in a pattern: lowering it would turn classes like \S or \W into \s and \w.
        return re.compile(phrase.replace("ё", "е").replace("Ё", "Е"), re.IGNORECASE)
    words = normalize(phrase).split()
    if not words:
        raise re.error("empty phrase")
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)")


def pattern_problem(phrase: str, is_regex: bool) -> str | None:
    """Why a phrase or pattern cannot be used, or None (for the admin form)."""
    if not phrase.strip():
        return _("Enter a phrase.")
    if len(phrase) > MAX_PATTERN_LENGTH:
        return _("At most %(limit)s characters.") % {"limit": MAX_PATTERN_LENGTH}
    try:
        compiled = _compile(phrase, is_regex)
    except re.error as exc:
        return _("This is not a valid regular expression: %(error)s") % {"error": exc}
    if compiled.search("") is not None:
        return _("This pattern matches empty text, so it would match every reply.")
    return None


@dataclass(frozen=True)
class _Compiled:
    word: ForbiddenWord
    pattern: re.Pattern[str]


def _active_patterns() -> list[_Compiled]:
    compiled = []
    for word in ForbiddenWord.objects.filter(is_active=True).order_by("pk"):
        try:
            compiled.append(_Compiled(word, _compile(word.phrase, word.is_regex)))
        except re.error:
            logger.error("forbidden word %s (%r) does not compile and is skipped", word.pk, word.phrase)
    return compiled


def _matches_in(text: str, patterns: list[_Compiled]) -> list[ForbiddenMatch]:
    folded = normalize(text)
    source = text if len(folded) == len(text) else folded
    found = []
    for item in patterns:
        for hit in item.pattern.finditer(folded):
            found.append(ForbiddenMatch(
                word_id=item.word.pk, phrase=item.word.phrase, matched_text=source[hit.start():hit.end()][:300],
                start=hit.start(), end=hit.end(), note=item.word.note,
            ))
    return sorted(found, key=lambda match: (match.start, match.end))


def reply_check_forbidden(text: str) -> list[ForbiddenMatch]:
    """Every occurrence of an active forbidden word or pattern in the text, in reading order."""
    if not text.strip():
        return []
    return _matches_in(text, _active_patterns())


def _reply_text(body_text: str, body_html: str) -> str:
    return "\n".join(part for part in (body_text, strip_tags(body_html)) if part)


def reply_guard(*, body_text: str, body_html: str = "", confirmed: bool = False) -> list[ForbiddenMatch]:
    """Hold an agent's public reply that contains forbidden words: raises ReplyHeld unless the agent
    confirmed sending it anyway. Returns the matches (empty for a clean reply)."""
    matches = reply_check_forbidden(_reply_text(body_text, body_html))
    if matches and not confirmed:
        raise ReplyHeld(matches)
    return matches


def hits_record(message: Message, *, patterns: list[_Compiled] | None = None) -> int:
    """Remember that a sent public staff reply matched (for the quality report); once per phrase."""
    if message.is_internal:
        return 0
    matches = _matches_in(_reply_text(message.body_text, message.body_html), patterns or _active_patterns())
    first_per_phrase: dict[str, ForbiddenMatch] = {}
    for match in matches:
        first_per_phrase.setdefault(match.phrase, match)
    recorded = 0
    for match in first_per_phrase.values():
        try:
            with transaction.atomic():
                ForbiddenWordHit.objects.create(
                    message=message, ticket_id=message.ticket_id, author_id=message.author_id,
                    word_id=match.word_id, phrase=match.phrase, matched_text=match.matched_text,
                    sent_at=message.created_at,
                )
        except IntegrityError:
            continue
        recorded += 1
    return recorded


def hits_rescan(*, since: datetime, until: datetime) -> int:
    """Check replies sent in a period against today's list (after adding words), recording new hits."""
    patterns = _active_patterns()
    if not patterns:
        return 0
    replies = Message.objects.filter(
        is_internal=False, created_at__gte=since, created_at__lt=until,
        author__role__in=[Role.AGENT, Role.MANAGER, Role.ADMIN],
    ).only("pk", "ticket_id", "author_id", "body_text", "body_html", "created_at", "is_internal")
    return sum(hits_record(message, patterns=patterns) for message in replies.iterator(chunk_size=500))
