"""Tracker links: every write of this app. Ticket changes go through the ticket services with the system
as actor (actor=None) and the connection recorded in each event's data ("via"); replies to requesters are
signed by the connection's staff account. Tracker calls never run inside a person's request: they run in
jobs after commit, and a tracker that is down only leaves an error on the connection."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from otklik.accounts import access
from otklik.accounts.models import Role, User
from otklik.automation.models import AutomationSettings
from otklik.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from otklik.notifications import topics
from otklik.notifications.rendering import language_of, render_text
from otklik.notifications.services import notify_direct
from otklik.tickets import changes
from otklik.tickets import services as ticket_services
from otklik.tickets.models import EventKind, StatusKind, Ticket
from otklik.trackers import hooks
from otklik.trackers.clients import IssueData, TestResult, TrackerError, client_for
from otklik.trackers.models import (
    CreateState,
    ExternalIssue,
    HookState,
    InboundHook,
    IssueRequest,
    NotifyWhom,
    StatusMapping,
    TicketIssueLink,
    TrackerConnection,
)

logger = logging.getLogger(__name__)

CREATE_ATTEMPTS = 5


def _enqueue(task_name: str, *args: Any) -> None:
    """Enqueue a job after commit; if the queue is down the periodic sweep picks the row up later."""
    def run() -> None:
        from otklik.trackers import tasks

        try:
            getattr(tasks, task_name)(*args)
        except Exception:  # the job queue itself failing must not fail the person's action
            logger.exception("could not enqueue %s%s; the sweep will retry", task_name, args)

    transaction.on_commit(run)


def origin(connection: TrackerConnection) -> dict[str, Any]:
    return {"tracker": connection.pk, "kind": connection.kind, "name": connection.name}


def ensure_admin(actor: User | None) -> None:
    if actor is not None and not (actor.is_active and (actor.is_superuser or actor.role == Role.ADMIN)):
        raise PermissionDenied()


def _connection(connection_id: int) -> TrackerConnection:
    connection = TrackerConnection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None:
        raise InvalidInput(_("Choose an active tracker connection."), errors={"connection": _("Unknown connection.")})
    return connection


def connection_failed(connection_id: int, error: str, *, now: datetime) -> None:
    logger.warning("tracker connection %s: %s", connection_id, error)
    TrackerConnection.objects.filter(pk=connection_id).update(last_error=error[:2000], last_error_at=now)


def connection_succeeded(connection_id: int, *, now: datetime) -> None:
    TrackerConnection.objects.filter(pk=connection_id).update(last_sync_at=now, last_error="")


def connection_test(*, actor: User | None, connection_id: int, now: datetime) -> TestResult:
    """Ask the tracker who we are; what it answered is shown to the admin and kept on the connection."""
    ensure_admin(actor)
    connection = TrackerConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        raise NotFound()
    result = client_for(connection).test()
    if result.ok:
        connection_succeeded(connection.pk, now=now)
    else:
        connection_failed(connection.pk, result.summary, now=now)
    return result


# ---------------------------------------------------------------- linking


def _issue_row(connection: TrackerConnection, key: str) -> ExternalIssue:
    issue, _created = ExternalIssue.objects.get_or_create(connection=connection, key=key)
    return issue


def _external(issue: ExternalIssue) -> dict[str, Any]:
    return {"tracker": issue.connection_id, "kind": issue.connection.kind, "issue": issue.key, "url": issue.url}


def _record_link(*, actor: User | None, ticket: Ticket, issue: ExternalIssue, now: datetime) -> TicketIssueLink:
    if TicketIssueLink.objects.filter(ticket=ticket, issue=issue).exists():
        raise Conflict(_("The ticket is already linked to this issue."))
    link = TicketIssueLink.objects.create(ticket=ticket, issue=issue, created_by=actor, created_at=now)
    # A typed ticket event: the history shows it and outgoing webhooks announce it ("linked").
    ticket_services.event_record(ticket=ticket, actor=actor, kind=EventKind.LINKED, at=now,
                                 data={"external": _external(issue)})
    return link


@transaction.atomic
def issue_link(*, actor: User | None, ticket_id: int, connection_id: int, reference: str, now: datetime
               ) -> TicketIssueLink:
    """Link a ticket to an issue by number, key or URL. The issue's live state is fetched by a job."""
    ticket = ticket_services.ticket_lock(ticket_id)
    access.ensure_can(actor, "link", ticket)
    connection = _connection(connection_id)
    key = client_for(connection).parse_reference(reference)
    link = _record_link(actor=actor, ticket=ticket, issue=_issue_row(connection, key), now=now)
    _enqueue("issue_refresh_task", link.issue_id, [link.pk])
    return link


@transaction.atomic
def issue_unlink(*, actor: User | None, ticket_id: int, link_id: int, now: datetime) -> None:
    """Remove a link (a wrong number, a duplicate issue); the issue row stays for its other tickets."""
    ticket = ticket_services.ticket_lock(ticket_id)
    access.ensure_can(actor, "link", ticket)
    link = TicketIssueLink.objects.select_related("issue__connection").filter(pk=link_id, ticket=ticket).first()
    if link is None:
        raise NotFound()
    link.delete()
    ticket_services.event_record(ticket=ticket, actor=actor, kind=EventKind.UNLINKED, at=now,
                                 data={"external": _external(link.issue)})


@transaction.atomic
def issue_request_create(
    *, actor: User | None, ticket_id: int, connection_id: int, project: str, subject: str, description: str,
    now: datetime,
) -> IssueRequest:
    """Ask for an issue to be created from the ticket; the tracker is called by a job after commit."""
    ticket = ticket_services.ticket_lock(ticket_id)
    access.ensure_can(actor, "link", ticket)
    connection = _connection(connection_id)
    project = (project or connection.default_project).strip()
    errors = {}
    if not project:
        errors["project"] = _("Choose the tracker project.")
    if not subject.strip():
        errors["subject"] = _("This field is required.")
    if errors:
        raise InvalidInput(_("Some fields are not valid."), errors=errors)
    request = IssueRequest.objects.create(
        connection=connection, ticket=ticket, project=project[:200], subject=subject.strip()[:500],
        description=description, created_by=actor, created_at=now, next_attempt_at=now,
    )
    _enqueue("issue_request_task", request.pk)
    return request


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** attempts, 60))


def issue_request_run(*, request_id: int, now: datetime) -> str:
    """One attempt at creating the issue; safe to run twice (a request is claimed before the call)."""
    with transaction.atomic():
        request = (IssueRequest.objects.select_for_update(skip_locked=True).select_related("connection")
                   .filter(pk=request_id, state=CreateState.PENDING).first())
        if request is None:
            return "skipped"
        request.attempts += 1
        # The claim: another worker skips it until the backoff has passed.
        request.next_attempt_at = now + _backoff(request.attempts)
        request.save(update_fields=["attempts", "next_attempt_at"])
    connection = request.connection
    try:
        data = client_for(connection).create_issue(
            project=request.project, subject=request.subject, description=request.description)
    except TrackerError as exc:
        gave_up = not exc.retryable or request.attempts >= CREATE_ATTEMPTS
        IssueRequest.objects.filter(pk=request.pk).update(
            error=str(exc)[:2000], state=CreateState.FAILED if gave_up else CreateState.PENDING)
        connection_failed(connection.pk, str(exc), now=now)
        return "failed" if gave_up else "retry"
    connection_succeeded(connection.pk, now=now)
    with transaction.atomic():
        ticket = ticket_services.ticket_lock(request.ticket_id)
        issue = _issue_row(connection, data.key)
        _store(issue, data, now)
        link = TicketIssueLink.objects.filter(ticket=ticket, issue=issue).first()
        if link is None:
            with ticket_services.events_via(origin(connection)):
                link = _record_link(actor=request.created_by, ticket=ticket, issue=issue, now=now)
        # The issue was born in this state: nothing has happened yet that the mapping should act on.
        link.applied_signal = _mapped_signal(connection, data)
        link.save(update_fields=["applied_signal"])
        IssueRequest.objects.filter(pk=request.pk).update(state=CreateState.DONE, issue=issue, error="")
    return "created"


@transaction.atomic
def issue_request_retry(*, actor: User | None, request_id: int, now: datetime) -> IssueRequest:
    request = IssueRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound()
    access.ensure_can(actor, "link", request.ticket)
    if request.state == CreateState.DONE:
        raise Conflict(_("The issue was already created."))
    request.state, request.attempts, request.next_attempt_at = CreateState.PENDING, 0, now
    request.save(update_fields=["state", "attempts", "next_attempt_at"])
    _enqueue("issue_request_task", request.pk)
    return request


# ---------------------------------------------------------------- tracker changes reach the tickets


def _store(issue: ExternalIssue, data: IssueData, now: datetime) -> None:
    issue.title, issue.status, issue.is_closed = data.title[:500], data.status[:200], data.is_closed
    issue.labels, issue.assignee, issue.fetched_at = data.labels, data.assignee[:200], now
    issue.url = data.url[:500] or issue.url
    issue.save(update_fields=["title", "status", "is_closed", "labels", "assignee", "url", "fetched_at"])


def _mapping_for(connection: TrackerConnection, data: IssueData) -> StatusMapping | None:
    signals = data.signals()
    for mapping in connection.mappings.select_related("ticket_status", "reply").order_by("order", "id"):
        if mapping.signal in signals:
            return mapping
    return None


def _mapped_signal(connection: TrackerConnection, data: IssueData) -> str:
    mapping = _mapping_for(connection, data)
    return mapping.signal if mapping else ""


@dataclass
class ApplyReport:
    moved: int = 0
    replied: int = 0
    errors: int = 0


def _reply_author(connection: TrackerConnection) -> User | None:
    author = connection.reply_as or AutomationSettings.load().automation_user
    return author if author is not None and author.is_active and author.is_staff_member else None


def _text_context(ticket: Ticket, data: IssueData) -> dict[str, str]:
    return {
        "ticket_number": str(ticket.number), "ticket_subject": ticket.subject,
        "requester_name": ticket.requester.get_full_name() or ticket.requester.email,
        "issue_key": data.key, "issue_title": data.title, "issue_status": data.status,
        "status": ticket.status.label,
    }


def _alert_recipients(mapping: StatusMapping, ticket: Ticket, link: TicketIssueLink) -> list[User]:
    people: list[User | None] = []
    lead = ticket.team.lead if ticket.team is not None else None
    if mapping.notify == NotifyWhom.ASSIGNEE:
        people.append(ticket.assignee or lead)
    elif mapping.notify == NotifyWhom.TEAM:
        people += [ticket.assignee, lead]
    elif mapping.notify == NotifyWhom.LINKER:
        people.append(link.created_by)
    return [person for person in people if person is not None and person.is_active and person.is_staff_member]


def _alert(mapping: StatusMapping, ticket: Ticket, link: TicketIssueLink, data: IssueData, key: str,
           now: datetime) -> None:
    for person in _alert_recipients(mapping, ticket, link):
        with translation.override(language_of(person)):
            subject = _("Issue %(issue)s is now “%(status)s” (ticket #%(number)s)") % {
                "issue": data.key, "status": data.status or ("closed" if data.is_closed else "open"),
                "number": ticket.number}
            body = _("%(tracker)s: %(issue)s “%(title)s” changed to “%(status)s”.") % {
                "tracker": link.issue.connection.name, "issue": data.key, "title": data.title, "status": data.status}
            if mapping.answer_requester:
                body += "\n" + _("Please answer the requester.")
        notify_direct(recipients=[person], topic=topics.AUTOMATION_NOTICE, ticket=ticket, key=key, now=now,
                      extra={"custom_subject": subject, "custom_body": body})


def _apply_to_link(link: TicketIssueLink, mapping: StatusMapping, data: IssueData, now: datetime) -> bool:
    """Move one ticket and answer its requester; returns whether a reply was sent."""
    connection = link.issue.connection
    ticket = ticket_services.ticket_lock(link.ticket_id)
    replied = False
    with ticket_services.events_via(origin(connection) | {"issue": data.key, "tracker_status": data.status}):
        status = mapping.ticket_status
        if status is not None and status.is_active and status.pk != ticket.status_id:
            ticket = changes.ticket_change_status(actor=None, ticket_id=ticket.pk, status=status, now=now)
        if mapping.reply is not None and mapping.reply.is_active:
            author = _reply_author(connection)
            if author is None:
                raise Conflict(_("No staff account signs tracker replies: set one on the connection."))
            fresh = Ticket.objects.select_related("requester", "status").get(pk=ticket.pk)
            text = render_text(mapping.reply.text_for(language_of(fresh.requester)), _text_context(fresh, data))
            ticket_services.ticket_reply(actor=author, ticket_id=ticket.pk, body_text=text, now=now)
            replied = True
    fresh = Ticket.objects.select_related("assignee", "team__lead", "status").get(pk=ticket.pk)
    _alert(mapping, fresh, link, data, f"tracker:{link.pk}:{mapping.signal}:{now.isoformat()}", now)
    return replied


def issue_apply(*, issue_id: int, data: IssueData, now: datetime, baseline_link_ids: frozenset[int] = frozenset()
                ) -> ApplyReport:
    """The tracker says the issue is now like `data`: store it, and act on each linked ticket whose last
    applied mapping differs, once. Links in `baseline_link_ids` were just made: they only remember the
    state, since the agent linked the issue knowing it."""
    report = ApplyReport()
    with transaction.atomic():
        issue = ExternalIssue.objects.select_for_update().select_related("connection").get(pk=issue_id)
        _store(issue, data, now)
        mapping = _mapping_for(issue.connection, data)
        signal = mapping.signal if mapping else ""
        links = list(TicketIssueLink.objects.select_for_update(of=("self",)).select_related("ticket__status")
                     .filter(issue=issue).order_by("ticket_id"))
        for link in links:
            link.issue = issue
            if link.applied_signal == signal:
                continue
            # A closed request is finished: the tracker neither reopens it nor writes to its requester.
            finished = link.ticket.status.kind == StatusKind.CLOSED
            if mapping is not None and link.pk not in baseline_link_ids and not finished:
                try:
                    with transaction.atomic():  # one ticket refusing (merged, ...) does not stop the others
                        report.replied += _apply_to_link(link, mapping, data, now)
                        report.moved += 1
                except DomainError as exc:
                    report.errors += 1
                    connection_failed(issue.connection_id, _("Ticket #%(number)s: %(error)s") % {
                        "number": link.ticket.number, "error": exc.message}, now=now)
                    continue
            link.applied_signal = signal
            link.save(update_fields=["applied_signal"])
    return report


def issue_refresh(*, issue_id: int, now: datetime, baseline_link_ids: frozenset[int] = frozenset()) -> bool:
    """Fetch the issue from its tracker and apply it; False (and the error on the connection) when down."""
    issue = ExternalIssue.objects.select_related("connection").filter(pk=issue_id).first()
    if issue is None:  # unlinked and removed since the job was queued
        return False
    try:
        data = client_for(issue.connection).fetch_issue(issue.key)
    except TrackerError as exc:
        connection_failed(issue.connection_id, str(exc), now=now)
        return False
    connection_succeeded(issue.connection_id, now=now)
    issue_apply(issue_id=issue.pk, data=data, now=now, baseline_link_ids=baseline_link_ids)
    return True


def connection_poll(*, connection_id: int, now: datetime) -> int:
    """Catch up after missed webhooks: refresh every issue linked to a ticket that is not closed.
    Stops at the first failure: a tracker that is down is asked again next time, tickets untouched."""
    issue_ids = list(
        ExternalIssue.objects.filter(connection_id=connection_id, connection__is_active=True)
        .filter(Q(ticket_links__ticket__status__kind__in=[kind for kind in StatusKind.values if kind != "closed"]))
        .distinct().order_by("pk").values_list("pk", flat=True)
    )
    done = 0
    for issue_id in issue_ids:
        if not issue_refresh(issue_id=issue_id, now=now):
            break
        done += 1
    return done


# ---------------------------------------------------------------- inbound webhooks


def hook_receive(*, connection_id: int, headers: Mapping[str, str], body: bytes, url_token: str, now: datetime
                 ) -> tuple[InboundHook, bool]:
    """Verify and store a tracker's webhook call; processing runs in a job. A replay is (hook, False)."""
    connection = TrackerConnection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None:
        raise NotFound()
    if not hooks.verify(connection, headers, body, url_token):
        logger.warning("tracker webhook for connection %s refused: bad signature or secret", connection_id)
        raise PermissionDenied(_("The signature or secret does not match."))
    key = hooks.delivery_key(connection, headers, body)
    try:
        payload: Any = json.loads(body)
    except ValueError:
        payload = None
    kept = {name: headers[name] for name in hooks.KEPT_HEADERS if headers.get(name)}
    try:
        with transaction.atomic():
            hook, created = InboundHook.objects.get_or_create(
                connection=connection, delivery_key=key,
                defaults={"event": hooks.event_name(connection, headers, payload), "headers": kept,
                          "body": body, "received_at": now},
            )
    except IntegrityError:  # the same delivery arrived twice at once
        return InboundHook.objects.get(connection=connection, delivery_key=key), False
    if created:
        _enqueue("hook_process_task", hook.pk)
    return hook, created


def _hook_finish(hook: InboundHook, state: str, reason: str, now: datetime) -> str:
    hook.state, hook.reason, hook.processed_at = state, reason[:2000], now
    hook.save(update_fields=["state", "reason", "processed_at", "attempts"])
    return state


@transaction.atomic
def hook_process(*, hook_id: int, now: datetime) -> str:
    """Process one stored call exactly once: the row is locked, and a done call is never redone."""
    hook = InboundHook.objects.select_for_update().select_related("connection").filter(pk=hook_id).first()
    if hook is None or hook.state in {HookState.PROCESSED, HookState.IGNORED}:
        return "skipped"
    hook.attempts += 1
    connection = hook.connection
    try:
        payload = json.loads(bytes(hook.body))
        data = hooks.issue_from_payload(connection, hook.event, payload)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        logger.warning("tracker webhook %s cannot be read: %r", hook.pk, exc)
        return _hook_finish(hook, HookState.FAILED, _("The payload cannot be read: %(error)r") % {"error": exc}, now)
    if data is None:
        return _hook_finish(hook, HookState.IGNORED, _("Not about an issue."), now)
    issue = ExternalIssue.objects.filter(connection=connection, key=data.key).first()
    if issue is None:
        return _hook_finish(hook, HookState.IGNORED, _("No ticket is linked to %(issue)s.") % {"issue": data.key}, now)
    report = issue_apply(issue_id=issue.pk, data=data, now=now)
    connection_succeeded(connection.pk, now=now)
    return _hook_finish(hook, HookState.PROCESSED, _("%(moved)s ticket(s) updated, %(replied)s reply(ies) sent.") % {
        "moved": report.moved, "replied": report.replied}, now)


@transaction.atomic
def hook_reprocess(*, actor: User | None, hook_id: int) -> None:
    ensure_admin(actor)
    updated = InboundHook.objects.filter(pk=hook_id, state=HookState.FAILED).update(state=HookState.RECEIVED)
    if updated:
        _enqueue("hook_process_task", hook_id)
