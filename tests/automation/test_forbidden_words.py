from __future__ import annotations

from datetime import timedelta

import pytest

from otklik.automation.forbidden import (
    ReplyHeld,
    hits_rescan,
    pattern_problem,
    reply_check_forbidden,
    reply_guard,
)
from otklik.automation.models import ForbiddenWord, ForbiddenWordHit
from otklik.testing import factories
from otklik.tickets import services


@pytest.fixture
def words(db):
    return [
        ForbiddenWord.objects.create(phrase="не моя проблема", note="Say what you will do instead."),
        ForbiddenWord.objects.create(phrase="ещё раз"),
        ForbiddenWord.objects.create(phrase="calm down"),
        ForbiddenWord.objects.create(phrase=r"\bидиот\w*", is_regex=True),
        ForbiddenWord.objects.create(phrase="inactive", is_active=False),
    ]


def phrases(text):
    return [match.matched_text for match in reply_check_forbidden(text)]


def test_phrases_match_case_insensitively_as_whole_words_with_yo_as_ye(words):
    assert phrases("Это НЕ МОЯ   проблема, напишите ЕЩЕ РАЗ") == ["НЕ МОЯ   проблема", "ЕЩЕ РАЗ"]
    assert phrases("Please Calm Down.") == ["Calm Down"]
    assert phrases("calm downstairs, не мояпроблема") == []
    assert phrases("This is inactive") == []


def test_patterns_are_regular_expressions(words):
    assert phrases("Какой идиотизм и идиоты") == ["идиотизм", "идиоты"]


def test_the_hold_raises_until_the_agent_confirms(words):
    with pytest.raises(ReplyHeld) as held:
        reply_guard(body_text="Это не моя проблема")
    assert held.value.code == "reply_held"
    assert held.value.matches[0].note == "Say what you will do instead."
    assert reply_guard(body_text="Hello", body_html="<p>Calm <b>down</b></p>", confirmed=True)[0].phrase == \
        "calm down"
    assert reply_guard(body_text="We will fix it today.") == []


def test_admin_validation_rejects_bad_and_empty_matching_patterns():
    unclosed = pattern_problem("(unclosed", is_regex=True)
    assert unclosed is not None and unclosed.startswith("This is not a valid regular expression")
    assert pattern_problem("a*", is_regex=True) == "This pattern matches empty text, so it would match every reply."
    assert pattern_problem("   ", is_regex=False) == "Enter a phrase."
    assert pattern_problem(r"\bok\b", is_regex=True) is None


def test_sent_staff_replies_that_matched_are_recorded_for_the_report(people, now, words):
    ticket = factories.ticket(requester=people.alice, subject="Ещё раз про принтер", now=now)
    services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="Напишу ещё раз", now=now)
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text="не моя проблема", now=now)
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="Не моя проблема, calm down", now=now)

    hits = ForbiddenWordHit.objects.order_by("pk")
    assert [(hit.author, hit.phrase) for hit in hits] == [(people.fiona, "не моя проблема"),
                                                         (people.fiona, "calm down")]


def test_rescan_finds_earlier_replies_with_words_added_later(people, now):
    ticket = factories.ticket(requester=people.alice, now=now)
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, body_text="RTFM", now=now)
    assert not ForbiddenWordHit.objects.exists()
    ForbiddenWord.objects.create(phrase="rtfm")

    assert hits_rescan(since=now - timedelta(days=1), until=now + timedelta(days=1)) == 1
    assert hits_rescan(since=now - timedelta(days=1), until=now + timedelta(days=1)) == 0
