"""Canned replies: which ones an agent is offered, and their placeholders filled in for a ticket."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from otklik.accounts.models import User
from otklik.automation.models import CannedReply
from otklik.automation.placeholders import fill_placeholders
from otklik.automation.scope import offered_to

__all__ = ["canned_replies_for", "fill_placeholders"]


def canned_replies_for(agent: User, language: str = "") -> QuerySet[CannedReply]:
    languages = Q(language="") | Q(language=language[:2]) if language else Q()
    return CannedReply.objects.filter(offered_to(agent) & languages, is_active=True).distinct()
