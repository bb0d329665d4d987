"""The outbound guard's two reads, asked once for a batch of inbound mail (issue #16, round 5).

Every acknowledgement asks whether its address is undeliverable (`outbound._recipients_guard`) and how much
automatic mail went to it lately (the loop guard, `outbound._rate_limit`): two statements per new request.
A batch (`services.inbound_process_batch`) knows its senders once its messages are parsed, so it reads both
for all of them in two statements and answers from memory; whatever the batch itself writes (an
acknowledgement queued, an address found undeliverable by a bounce) is added, and dropped again when the
message that wrote it is rolled back to its savepoint. An address, a moment or a window the memo was not
read for is asked of the database as before. The memo sees other processes' commits as of the batch's
start (the batch is well under a second of work), where the per-message reads saw them as of each message.

What a message writes is kept or dropped with the message's savepoint, not with savepoints inside it: a
nested savepoint rolling back a queued mail after `outbound_write` returned would leave it counted. No code
on the intake path does that (its one mail is the acknowledgement, written last; notifications and triggers
run after the commit), and a new writer there must keep it so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from otklik.mail.models import OutboundKind, OutboundMail, OutboundStatus, UndeliverableAddress

LIVE = (OutboundStatus.PENDING, OutboundStatus.SENT)
HOUR = timedelta(hours=1)


class GuardMemo:
    """The undeliverable addresses among `addresses` and the live outbox rows to them since `since`."""

    def __init__(self, addresses: Iterable[str], *, now: datetime, window: timedelta) -> None:
        self.now = now
        self.addresses = frozenset(address.lower() for address in addresses if address)
        self.keys = frozenset(address[:254] for address in self.addresses)
        self.since = now - max(HOUR, window)
        self.undeliverable = set(UndeliverableAddress.objects.filter(email__in=self.addresses)
                                 .values_list("email", flat=True))
        self.sent: dict[str, list[tuple[str, bool, datetime]]] = defaultdict(list)
        for key, kind, automatic, created_at in (
            OutboundMail.objects.filter(recipient_key__in=self.keys, status__in=LIVE, created_at__gte=self.since)
            .values_list("recipient_key", "kind", "auto_generated", "created_at")
        ):
            self.sent[key].append((kind, automatic, created_at))
        self._pending_undeliverable: list[str] = []
        self._pending_sent: list[tuple[str, str, bool, datetime]] = []

    # ------------------------------------------------------------ answers (None: not known here, ask)

    def undeliverable_among(self, lowered: list[str]) -> set[str] | None:
        if not set(lowered) <= self.addresses:
            return None
        return {address for address in lowered
                if address in self.undeliverable or address in self._pending_undeliverable}

    def counts(self, recipient: str, *, now: datetime, minutes: int) -> tuple[int, int] | None:
        """(acknowledgements within `minutes`, automatic mail within the hour) to `recipient`, as
        `outbound._rate_limit` counts them."""
        window_start, hour_ago = now - timedelta(minutes=minutes), now - HOUR
        if now != self.now or recipient not in self.keys or min(window_start, hour_ago) < self.since:
            return None
        rows = [*self.sent.get(recipient, ()),
                *((kind, automatic, at) for key, kind, automatic, at in self._pending_sent if key == recipient)]
        acknowledgements = sum(1 for kind, _automatic, at in rows
                               if kind == OutboundKind.ACKNOWLEDGEMENT and at >= window_start)
        automatic_mail = sum(1 for _kind, automatic, at in rows if automatic and at >= hour_ago)
        return acknowledgements, automatic_mail

    # ------------------------------------------------------------ what the batch writes

    def note_sent(self, recipient: str, *, kind: str, automatic: bool, status: str, at: datetime) -> None:
        if status in LIVE:
            self._pending_sent.append((recipient, kind, automatic, at))

    def note_undeliverable(self, email: str) -> None:
        self._pending_undeliverable.append(email)

    def keep(self) -> None:
        """The message committed (its savepoint was released): its writes stay."""
        self.undeliverable.update(self._pending_undeliverable)
        for key, kind, automatic, at in self._pending_sent:
            self.sent[key].append((kind, automatic, at))
        self.drop()

    def drop(self) -> None:
        """The message was rolled back: its writes are gone."""
        self._pending_undeliverable, self._pending_sent = [], []


_current: ContextVar[GuardMemo | None] = ContextVar("mail_guard_memo", default=None)


def current() -> GuardMemo | None:
    return _current.get()


@contextmanager
def remembered(addresses: Iterable[str], *, now: datetime, window: timedelta) -> Iterator[GuardMemo]:
    """Answer the guard's reads for these addresses from one read each, inside the caller's transaction."""
    memo = GuardMemo(addresses, now=now, window=window)
    token = _current.set(memo)
    try:
        yield memo
    finally:
        _current.reset(token)
