"""The agent's timeline items, built in Python (`web.timeline`, issue #16 ticket page round 2), are the HTML
the template loop wrote before (kept here as the reference, from web/agent/ticket.html at 23c33e3), but for
whitespace between tags; and every value people or mail can put there is escaped."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

from otklik.testing import factories
from otklik.tickets import changes, services
from otklik.tickets.inbound import InboundAttachment
from otklik.web.views.ticket import timeline_context

pytestmark = pytest.mark.django_db

# The loop as web/agent/ticket.html had it before the timeline was built in Python.
REFERENCE = "{% load i18n otklik_web otklik_messages %}" + (
    Path(__file__).with_name("timeline_reference.html").read_text(encoding="utf-8"))
EVIL = '<script>alert("x")</script> & \'q\' <b>b</b>'
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 40


def _normal(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


@pytest.fixture
def hostile_ticket(people, now):
    step = lambda minutes: now + timedelta(minutes=minutes)  # noqa: E731
    ticket = factories.ticket(requester=people.alice, subject=f"VPN {EVIL}", body=f"first {EVIL}\nline two",
                              team=people.first_line, actor=people.fiona, now=now,
                              attachments=[InboundAttachment(filename=f"shot {EVIL}.png", content=PNG,
                                                             content_type="image/png")])
    changes.ticket_assign(actor=people.fiona, ticket_id=ticket.pk, assignee=people.fiona, now=step(1))
    services.ticket_reply(actor=people.fiona, ticket_id=ticket.pk, now=step(2), markdown=True,
                          body_text=f"**Hi** [link](https://example.com/?a=1&b=2)\n\n{EVIL}",
                          cc=["cc@example.com", "x&y@example.com"],
                          attachments=[InboundAttachment(filename="log <1>.txt", content=b"x" * 3000)])
    services.ticket_add_note(actor=people.fiona, ticket_id=ticket.pk, body_text=f"note {EVIL}", now=step(3),
                             attachments=[InboundAttachment(filename="secret&.txt", content=b"s")])
    services.ticket_reply(actor=people.alice, ticket_id=ticket.pk, body_text="thanks\r\nstill", channel="email",
                          now=step(4))
    changes.ticket_change_subject(actor=people.fiona, ticket_id=ticket.pk, subject=f"renamed {EVIL}", now=step(5))
    services.ticket_watch(actor=people.fiona, ticket_id=ticket.pk, user_id=people.sam.pk, now=step(6))
    services.ticket_reply(actor=None, ticket_id=ticket.pk, body_text="from the system", now=step(7))
    services.ticket_reply(actor=people.sam, ticket_id=ticket.pk, body_text="plain\nstaff reply", now=step(8))
    return ticket


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_python_items_are_the_template_loops_html(people, hostile_ticket, language):
    with translation.override(language):
        context = timeline_context(people.fiona, hostile_ticket)
        replies = [item.message for item in context["timeline"]
                   if item.message is not None and not item.message.is_internal]
        deliveries = [SimpleNamespace(status="sent", attempts=0, last_error=""),
                      SimpleNamespace(status="failed", attempts=3, last_error=f"550 {EVIL}"),
                      SimpleNamespace(status="pending", attempts=2, last_error=""),
                      SimpleNamespace(status="suppressed", attempts=0, last_error="")]
        for message, delivery in zip(replies, deliveries, strict=False):
            message.delivery = delivery
        values = {**context, "csrf_token": 'tok"<&>', "preview_types": ("image/png",)}
        old = Template(REFERENCE).render(Context(values))
        new = Template("{% load otklik_web %}{% timeline_rows timeline %}").render(Context(values))
    assert _normal(new) == _normal(old)
    assert new.count('class="timeline-item') == 6 and "timeline-event" in new
    assert "<script>" not in new and "&lt;script&gt;" in new  # the subject change, note and reply text
    assert 'value="tok&quot;&lt;&amp;&gt;"' in new  # the draft form's token, escaped
    assert "x&amp;y@example.com" in new and "secret&amp;.txt" in new and "log &lt;1&gt;.txt" in new
    assert "550 &lt;script&gt;" in new  # a delivery's error, through its own template


def test_a_message_without_files_reads_none(people, hostile_ticket, django_assert_num_queries):
    context = timeline_context(people.fiona, hostile_ticket)
    messages = [item.message for item in context["timeline"] if item.message is not None]
    assert [bool(message.has_files) for message in messages] == [True, True, True, False, False, False]
    values = {**context, "csrf_token": "t", "preview_types": ()}
    with django_assert_num_queries(0):  # the files of the three were read with the timeline
        Template("{% load otklik_web %}{% timeline_rows timeline %}").render(Context(values))
