"""The import service: writes a batch of records in bulk with the invariants of the ticket services.

What the services guarantee and how a batch keeps it:
- numbers unique and above every taken one: `tickets.numbers.reserve` hands out the new ones, kept source
  numbers are checked against every local ticket first, and the allocator moves above them by itself;
- a typed history for every ticket (see history.py), with the `imported` marker the outboxes skip;
- sanitised HTML, safe file names and stored files for attachments, as `attachments_store` does;
- SLA clocks, report durations and the search index, rebuilt for the batch's tickets (post.py).
The caller holds the transaction: a batch commits with its cursor, or not at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from otklik.accounts.models import Team
from otklik.core.text import sanitize_html
from otklik.core.uploads import stored_file_fields
from otklik.demodata.bulk import insert_rows
from otklik.imports import people as people_mod
from otklik.imports.bulk import update_rows
from otklik.imports.history import history_rebuild, raw_ref
from otklik.imports.models import RefKind
from otklik.imports.post import Fresh, rebuild_derived
from otklik.imports.records import (
    AttachmentRecord,
    MessageItem,
    MessageRecord,
    OrgRecord,
    PersonRecord,
    Record,
    RowProblem,
    TicketRecord,
    record_kind,
)
from otklik.imports.refs import refs_add, refs_lookup
from otklik.imports.statuses import StatusBook
from otklik.tickets import numbers
from otklik.tickets.models import (
    Attachment,
    Category,
    Message,
    Priority,
    Source,
    StatusKind,
    Ticket,
)

TICKET_FIELDS = [
    "subject",
    "requester",
    "organization",
    "priority",
    "priority_rank",
    "status",
    "source",
    "assignee",
    "team",
    "category",
    "created_at",
    "first_response_at",
    "updated_at",
    "resolved_at",
    "closed_at",
]


@dataclass
class BatchOutcome:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, RowProblem]] = field(default_factory=list)
    ticket_ids: set[int] = field(default_factory=set)
    existing_ids: set[int] = field(default_factory=set)  # of those, the ones written before this batch
    # Inserted by this batch, as written (their derived rows are computed from these, not read back).
    new_tickets: dict[int, Ticket] = field(default_factory=dict)
    new_messages: dict[int, list[Message]] = field(default_factory=dict)  # by ticket id


@dataclass
class Writer:
    namespace: str
    source: str
    run_id: int
    now: datetime
    keep_numbers: bool = False
    store_files: bool = True
    status_guesses: dict[str, str] = field(default_factory=dict)
    statuses: StatusBook = field(init=False)

    def __post_init__(self) -> None:
        self.statuses = StatusBook(self.namespace, self.status_guesses)
        self._priorities = list(Priority.objects.all())
        self._default_priority = next((p for p in self._priorities if p.is_default), None) or (
            min(self._priorities, key=lambda p: p.rank) if self._priorities else None
        )
        self._new_status = self.statuses.default_of_kind(StatusKind.NEW)
        self._teams = {team.name.lower(): team.pk for team in Team.objects.all()}
        self._categories: dict[str, int] = {}
        for category in Category.objects.all():
            self._categories.setdefault(category.path.lower(), category.pk)
            self._categories.setdefault(category.name.lower(), category.pk)

    # ------------------------------------------------------------ the batch

    def write(self, items: list[tuple[str, Record]]) -> BatchOutcome:
        outcome = BatchOutcome()
        tickets: list[tuple[str, TicketRecord]] = []
        message_items: list[tuple[str, MessageItem]] = []
        orgs: list[OrgRecord] = []
        persons: list[PersonRecord] = []
        standalone_orgs: set[str] = set()
        standalone_people: set[str] = set()
        seen: set[tuple[str, str]] = set()
        for position, record in items:
            kind = record_kind(record)
            key = (kind, getattr(record, "external_id", "") or "")
            if key[1] and key in seen:
                outcome.problems.append((position, RowProblem(kind, key[1], _("The same id appears twice."))))
                continue
            seen.add(key)
            problem = self._validate(record)
            if problem is not None:
                outcome.problems.append((position, problem))
                continue
            if isinstance(record, OrgRecord):
                orgs.append(record)
                standalone_orgs.add(people_mod.org_key(record))
            elif isinstance(record, PersonRecord):
                persons.append(record)
                standalone_people.add(people_mod.person_key(self.namespace, record))
                if record.organization:
                    orgs.append(record.organization)
            elif isinstance(record, TicketRecord):
                tickets.append((position, record))
                persons.extend(self._ticket_people(record))
                orgs.extend(p.organization for p in self._ticket_people(record) if p.organization)
                if record.organization:
                    orgs.append(record.organization)
            else:
                message_items.append((position, record))
                if record.message.author:
                    persons.append(record.message.author)
        resolved = people_mod.Resolved()
        people_mod.resolve_orgs(self.namespace, orgs, standalone_orgs, resolved, self.now)
        people_mod.resolve_people(self.namespace, persons, standalone_people, resolved, self.now)
        for kind in ("organization", "person"):
            outcome.created[kind] += resolved.created[kind]
            outcome.updated[kind] += resolved.updated[kind]
        self._write_tickets(tickets, resolved, outcome)
        self._write_message_items(message_items, resolved, outcome)
        ids = sorted(outcome.ticket_ids)
        # A ticket new in this batch has only the messages written here (a message row of the source
        # names an already imported ticket, which counts as existing).
        known = {
            pk: (ticket, outcome.new_messages.get(pk, []))
            for pk, ticket in outcome.new_tickets.items()
            if pk not in outcome.existing_ids
        }
        rebuilt = history_rebuild(
            ticket_ids=ids,
            existing_ids=outcome.existing_ids,
            namespace=self.namespace,
            run_id=self.run_id,
            new_status=self._new_status,
            staff=resolved.staff,
            known=known,
        )
        # Usually right already (set from the records before the insert); only changed ones are written.
        update_rows(Ticket, ["first_response_at"], rebuilt.changed)
        fresh = {pk: Fresh(ticket, messages, rebuilt.events[pk]) for pk, (ticket, messages) in known.items()}
        rebuild_derived(ids, outcome.existing_ids, self.now, fresh)
        return outcome

    def _first_response_of(self, record: TicketRecord, resolved: people_mod.Resolved) -> datetime | None:
        """As history.py decides it: the first public message by staff after the opening one."""
        for message in record.messages[1:]:
            if message.is_internal or message.author is None:
                continue
            if resolved.people.get(people_mod.person_key(self.namespace, message.author)) in resolved.staff:
                return message.created_at or record.created_at
        return None

    def _ticket_people(self, record: TicketRecord) -> list[PersonRecord]:
        found = [record.requester]
        if record.assignee:
            found.append(record.assignee)
        found.extend(m.author for m in record.messages if m.author)
        return found

    def _validate(self, record: Record) -> RowProblem | None:
        kind = record_kind(record)
        if isinstance(record, OrgRecord) and not record.name.strip():
            return RowProblem(kind, record.external_id, _("The organization has no name."))
        if isinstance(record, PersonRecord) and not (record.external_id or record.email.strip()):
            return RowProblem(kind, "", _("The person has neither an id nor an email address."))
        if isinstance(record, TicketRecord):
            if not record.external_id:
                return RowProblem(kind, "", _("The ticket has no id in the source."))
            if not " ".join(record.subject.split()):
                return RowProblem(kind, record.external_id, _("The ticket has no subject."))
            if not (record.requester.external_id or record.requester.email.strip()):
                return RowProblem(kind, record.external_id, _("The ticket has no requester."))
            if self.keep_numbers and record.number is not None and record.number < 1:
                return RowProblem(kind, record.external_id, _("The ticket number must be positive."))
            if self.statuses.resolve(record.status) is None:
                return RowProblem(
                    kind,
                    record.external_id,
                    _("Unknown status «%(status)s»: add it to the import status mappings.") % {"status": record.status},
                )
            if record.created_at.tzinfo is None:
                return RowProblem(kind, record.external_id, _("The creation time has no time zone."))
        if isinstance(record, MessageItem) and not record.ticket_external_id:
            return RowProblem(kind, record.message.external_id, _("The message names no ticket."))
        return None

    # ------------------------------------------------------------ tickets

    def _priority(self, code: str) -> Priority:
        wanted = code.strip().lower()
        for priority in self._priorities:
            if wanted and wanted in (priority.code.lower(), priority.name.lower(), (priority.name_ru or "").lower()):
                return priority
        if self._default_priority is None:
            raise ValueError("no priority is configured")
        return self._default_priority

    def _apply(self, ticket: Ticket, record: TicketRecord, resolved: people_mod.Resolved) -> None:
        status = self.statuses.resolve(record.status)
        assert status is not None  # checked in _validate
        priority = self._priority(record.priority)
        requester_id = resolved.people[people_mod.person_key(self.namespace, record.requester)]
        ticket.subject = " ".join(record.subject.split())[:500]
        ticket.requester_id = requester_id
        org = record.organization or record.requester.organization
        ticket.organization_id = resolved.orgs.get(people_mod.org_key(org)) if org else None
        ticket.priority = priority
        ticket.priority_rank = priority.rank
        ticket.status = status
        ticket.source = record.channel if record.channel in Source.values else Source.WEB
        ticket.assignee_id = (
            resolved.people.get(people_mod.person_key(self.namespace, record.assignee)) if record.assignee else None
        )
        ticket.team_id = self._teams.get(record.team.strip().lower()) if record.team else None
        ticket.category_id = self._categories.get(record.category.strip().lower()) if record.category else None
        ticket.created_at = record.created_at
        ticket.first_response_at = self._first_response_of(record, resolved)
        times = [record.created_at, *(m.created_at for m in record.messages if m.created_at)]
        done = status.kind in (StatusKind.RESOLVED, StatusKind.CLOSED)
        closed = record.closed_at or (record.updated_at or max(times) if status.kind == StatusKind.CLOSED else None)
        resolved_at = record.resolved_at or closed or (record.updated_at or max(times) if done else None)
        ticket.resolved_at = resolved_at if done else None
        ticket.closed_at = closed if status.kind == StatusKind.CLOSED else None
        ticket.updated_at = max(
            [*times, record.updated_at or record.created_at, *(t for t in (ticket.resolved_at, ticket.closed_at) if t)]
        )

    def _write_tickets(
        self, tickets: list[tuple[str, TicketRecord]], resolved: people_mod.Resolved, outcome: BatchOutcome
    ) -> None:
        if not tickets:
            return
        mapped = refs_lookup(self.namespace, RefKind.TICKET, (r.external_id for _p, r in tickets))
        existing = Ticket.objects.in_bulk([mapped[r.external_id] for _p, r in tickets if r.external_id in mapped])
        kept: list[tuple[str, TicketRecord]] = []
        fresh: list[tuple[str, TicketRecord]] = []
        updates: list[tuple[TicketRecord, Ticket]] = []
        for position, record in tickets:
            ticket = existing.get(mapped.get(record.external_id, 0))
            if ticket is not None:
                updates.append((record, ticket))
            elif self.keep_numbers and record.number is not None:
                kept.append((position, record))
            else:
                fresh.append((position, record))
        kept = self._check_numbers(kept, outcome)
        new_rows: list[tuple[TicketRecord, Ticket]] = []
        # Kept numbers are written first, so the allocator then hands out numbers above them.
        for group in (kept, fresh):
            if not group:
                continue
            first = None if group is kept else numbers.reserve(len(group))
            rows = []
            for offset, (_position, record) in enumerate(group):
                number = record.number if first is None else first + offset
                assert number is not None  # kept numbers are checked, the rest allocated
                ticket = Ticket(number=number)
                self._apply(ticket, record, resolved)
                rows.append(ticket)
            insert_rows(Ticket, rows)  # COPY on PostgreSQL
            new_rows.extend(zip([r for _p, r in group], rows, strict=True))
        refs_add(self.namespace, RefKind.TICKET, {r.external_id: t.pk for r, t in new_rows}, self.now)
        for record, ticket in updates:
            self._apply(ticket, record, resolved)
        update_rows(Ticket, TICKET_FIELDS, [t for _r, t in updates])
        outcome.created["ticket"] += len(new_rows)
        outcome.updated["ticket"] += len(updates)
        pairs = [*new_rows, *updates]
        outcome.ticket_ids.update(t.pk for _r, t in pairs)
        outcome.existing_ids.update(t.pk for _r, t in updates)
        outcome.new_tickets.update((t.pk, t) for _r, t in new_rows)
        work = [(t, r.requester if i == 0 else None, m) for r, t in pairs for i, m in enumerate(self._with_first(r))]
        self._write_messages(work, resolved, outcome)

    def _with_first(self, record: TicketRecord) -> list[MessageRecord]:
        """The ticket's messages; a ticket the source keeps without any gets an empty first message."""
        if record.messages:
            return record.messages
        return [
            MessageRecord(
                external_id=f"{record.external_id}:first", author=record.requester, created_at=record.created_at
            )
        ]

    def _check_numbers(
        self, kept: list[tuple[str, TicketRecord]], outcome: BatchOutcome
    ) -> list[tuple[str, TicketRecord]]:
        wanted = [r.number for _p, r in kept if r.number is not None]
        taken = set(Ticket.objects.filter(number__in=wanted).values_list("number", flat=True))
        accepted = []
        seen: set[int] = set()
        for position, record in kept:
            if record.number in taken or record.number in seen:
                outcome.problems.append(
                    (
                        position,
                        RowProblem(
                            "ticket",
                            record.external_id,
                            _("Ticket number %(number)s is already taken by another ticket.")
                            % {"number": record.number},
                        ),
                    )
                )
                continue
            seen.add(record.number or 0)
            accepted.append((position, record))
        return accepted

    # ------------------------------------------------------------ messages and files

    def _write_message_items(
        self, items: list[tuple[str, MessageItem]], resolved: people_mod.Resolved, outcome: BatchOutcome
    ) -> None:
        if not items:
            return
        mapped = refs_lookup(self.namespace, RefKind.TICKET, (i.ticket_external_id for _p, i in items))
        tickets = Ticket.objects.in_bulk(list(set(mapped.values())))
        work: list[tuple[Ticket, PersonRecord | None, MessageRecord]] = []
        for position, item in items:
            ticket = tickets.get(mapped.get(item.ticket_external_id, 0))
            if ticket is None:
                outcome.problems.append(
                    (
                        position,
                        RowProblem(
                            "message",
                            item.message.external_id,
                            _("Ticket %(ticket)s was not imported (import the tickets first).")
                            % {"ticket": item.ticket_external_id},
                        ),
                    )
                )
                continue
            work.append((ticket, None, item.message))
            outcome.ticket_ids.add(ticket.pk)
            outcome.existing_ids.add(ticket.pk)
        self._write_messages(work, resolved, outcome)
        later = Ticket.objects.filter(pk__in={t.pk for t, _a, _m in work})
        for ticket in later:
            last = max((m.created_at for t, _a, m in work if t.pk == ticket.pk and m.created_at), default=None)
            if last and last > ticket.updated_at:
                Ticket.objects.filter(pk=ticket.pk).update(updated_at=last)

    def _write_messages(
        self,
        work: list[tuple[Ticket, PersonRecord | None, MessageRecord]],
        resolved: people_mod.Resolved,
        outcome: BatchOutcome,
    ) -> None:
        mapped = refs_lookup(self.namespace, RefKind.MESSAGE, (m.external_id for _t, _a, m in work))
        existing = Message.objects.in_bulk([mapped[m.external_id] for _t, _a, m in work if m.external_id in mapped])
        new: list[tuple[MessageRecord, Message]] = []
        changed: list[Message] = []
        ref = raw_ref(self.namespace)
        for ticket, fallback_author, record in work:
            author = record.author or fallback_author
            author_id = resolved.people.get(people_mod.person_key(self.namespace, author)) if author else None
            message = existing.get(mapped.get(record.external_id, 0))
            if message is None:
                message = Message(ticket_id=ticket.pk, raw_ref=ref)
                new.append((record, message))
            else:
                changed.append(message)
            message.author_id = author_id
            message.is_internal = record.is_internal
            message.channel = ticket.source
            message.body_text = record.body_text
            message.body_html = sanitize_html(record.body_html) if record.body_html else ""
            message.created_at = record.created_at or ticket.created_at
        insert_rows(Message, [m for _r, m in new])
        update_rows(Message, ["author", "is_internal", "channel", "body_text", "body_html", "created_at"], changed)
        refs_add(self.namespace, RefKind.MESSAGE, {r.external_id: m.pk for r, m in new if r.external_id}, self.now)
        outcome.created["message"] += len(new)
        for _r, message in new:
            outcome.new_messages.setdefault(message.ticket_id, []).append(message)
        outcome.updated["message"] += len(changed)
        files = [(m, r.attachments) for r, m in new if r.attachments]
        files += [
            (existing[mapped[r.external_id]], r.attachments)
            for _t, _a, r in work
            if r.attachments and r.external_id in mapped
        ]
        self._write_attachments(files, outcome)

    def _write_attachments(self, files: list[tuple[Message, list[AttachmentRecord]]], outcome: BatchOutcome) -> None:
        if not files:
            return
        mapped = refs_lookup(self.namespace, RefKind.ATTACHMENT, (a.external_id for _m, items in files for a in items))
        rows: list[tuple[AttachmentRecord, Attachment]] = []
        for message, items in files:
            for item in items:
                if item.external_id and item.external_id in mapped:
                    continue  # files do not change in a source: stored once
                attachment = Attachment(
                    ticket_id=message.ticket_id,
                    message=message,
                    uploaded_by_id=message.author_id,
                    created_at=message.created_at,
                    **stored_file_fields(item.filename, item.content_type, item.content),
                )
                if self.store_files:
                    attachment.file.save(attachment.token, ContentFile(item.content), save=False)
                else:
                    attachment.file.name = f"dry-run/{attachment.token}"
                rows.append((item, attachment))
        Attachment.objects.bulk_create([a for _i, a in rows])
        refs_add(self.namespace, RefKind.ATTACHMENT, {i.external_id: a.pk for i, a in rows if i.external_id}, self.now)
        outcome.created["attachment"] += len(rows)
