"""The reviewed table of routes -> expected access (issue 11). Every URL pattern of the project (web pages,
API operations, the admin) must have a row here; tests/access/test_access_routes.py walks
`get_resolver()` and fails for a route without one, then probes every row as every persona of world.py.

How to add a row for a new route: key it by its URL name with namespace ("chat:dialog", "api:ticket-sla")
and pick the rule that says who may use it:

- `Public()`              anyone, signed in or not (login, health, webhooks from outside with own auth)
- `SignedIn()`            any signed-in person; anonymous visitors go to the login page (web) or get 401/403
- `Staff()`               staff only (agents, managers, auditors, admins); anyone else gets 404
- `AdminOnly()`           administrators only; anyone else gets 404/403 (API) or the login page (admin)
- `TicketVisible()`       `<int:number>`: 200 for whoever sees the ticket (world.VISIBLE), 404 for anyone else
- `TicketHandled()`       `<int:number>`: 200 for staff who handle the ticket (world.HANDLED), 404 otherwise
                          (internal side: clocks, staff-only pages)
- `FileVisible()`         `<str:token>`: public files for who sees the ticket, note files for who handles it
- `Write("reply")`        a POST/PATCH/DELETE that changes a ticket: who may is `world.expected(rule, ...)`,
                          proven per service in test_access_services.py; here a GET must not answer 200
- `Covered("tests/x.py", "why")`  a route whose arguments the generic probe cannot build (ids of other
                          objects, signed links): the named test file must exist and cover it

Routes under a prefix row (e.g. "admin/") are covered by it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    pass


@dataclass(frozen=True)
class Public(Rule):
    pass


@dataclass(frozen=True)
class SignedIn(Rule):
    pass


@dataclass(frozen=True)
class Staff(Rule):
    pass


@dataclass(frozen=True)
class AdminOnly(Rule):
    pass


@dataclass(frozen=True)
class TicketVisible(Rule):
    pass


@dataclass(frozen=True)
class TicketHandled(Rule):
    pass


@dataclass(frozen=True)
class FileVisible(Rule):
    pass


@dataclass(frozen=True)
class Write(Rule):
    rule: str


@dataclass(frozen=True)
class Covered(Rule):
    test_file: str
    why: str


# Prefix rows: every route whose pattern starts with the key.
PREFIXES: dict[str, Rule] = {
    "admin/": AdminOnly(),  # the Django admin site: admins only (index and every changelist probed)
}

ROUTES: dict[str, Rule] = {
    # ---- the REST API (tests/api/test_api_access_matrix.py checks contents persona by persona)
    "api:schema": Public(),  # the OpenAPI document describes the API, no data
    "api:docs": Public(),  # the API reference page is public documentation
    "api:me": SignedIn(),
    "api:users": SignedIn(),
    "api:user": Covered("tests/api/test_api_access_matrix.py", "user ids: test_user_directory"),
    "api:organizations": SignedIn(),
    "api:teams": SignedIn(),
    "api:statuses": SignedIn(),
    "api:priorities": SignedIn(),
    "api:categories": SignedIn(),
    "api:request-types": SignedIn(),
    "api:request-type": Covered("tests/access/test_access_request_types.py", "who may submit which type"),
    "api:tickets": SignedIn(),
    "api:ticket": TicketVisible(),
    "api:ticket-messages": TicketVisible(),
    "api:ticket-replies": Write("reply"),
    "api:ticket-notes": Write("note"),
    "api:ticket-events": TicketVisible(),  # staff events only for HANDLED: test_access_channels.py
    "api:ticket-attachments": TicketVisible(),
    "api:ticket-status": Write("change"),
    "api:ticket-assign": Write("change"),
    "api:ticket-resolve": Write("change"),
    "api:ticket-close": Write("close"),
    "api:ticket-reopen": Write("reopen"),
    "api:ticket-merge": Write("change"),
    "api:ticket-sla": TicketHandled(),
    "api:ticket-links": TicketVisible(),
    "api:ticket-rating": Write("rate"),
    "api:ticket-watchers": Write("change"),
    "api:ticket-watcher": Write("change"),
    "api:attachment-download": FileVisible(),
    "api:webhooks": AdminOnly(),
    "api:webhook": Covered("tests/api/test_api_access_matrix.py", "subscription ids: webhook administration"),
    "api:webhook-deliveries": Covered("tests/integrations", "subscription ids: webhook administration"),
    "api:webhook-redeliver": Covered("tests/integrations", "subscription and delivery ids"),
    "api:tokens": SignedIn(),
    "api:macros": SignedIn(),
    "api:ticket-macro-apply": Covered("tests/api/test_api_macros_tags.py", "macro ids offered to the caller"),
    "api:token-revoke": Covered("tests/api/test_api_tokens.py", "token ids: revoke only one's own"),
    # ---- mail
    "mail:original": Covered("tests/mail/test_mail_access.py", "inbound mail ids: staff who see the ticket"),
    "mail:inline": Covered("tests/mail/test_mail_access.py", "inbound mail ids: ticket access"),
    # ---- SLA
    "sla:overdue": Staff(),
    "sla:due_soon": Staff(),
    "sla:ticket": TicketHandled(),
    "sla:override": Write("change"),
    # ---- automation
    "automation:trigger_preview": Covered("tests/automation/test_automation_views.py", "trigger ids: admins"),
    "automation:forbidden_report": Covered("tests/automation/test_automation_views.py", "admins and managers"),
    "automation:forbidden_rescan": Write("admin"),
    "automation:reply_check": Write("reply"),
    "automation:availability": Covered("tests/automation/test_automation_views.py", "staff set their own"),
    # ---- notifications
    "notifications:list": SignedIn(),
    "notifications:unread": SignedIn(),
    "notifications:read_all": Write("own"),
    "notifications:preferences": SignedIn(),
    "notifications:open": Covered("tests/notifications/test_notification_views.py", "notification ids: own only"),
    # ---- account security
    "security:overview": SignedIn(),
    "security:two_factor_setup": Covered("tests/security/test_security_two_factor.py", "staff enrolment"),
    "security:two_factor_verify": Covered("tests/security/test_security_two_factor.py", "staff verification"),
    "security:two_factor_disable": Covered("tests/security/test_security_two_factor.py", "own authenticator"),
    "security:recovery_codes": Covered("tests/security/test_security_two_factor.py", "own codes"),
    "security:attachment_download": FileVisible(),
    "security:sessions": SignedIn(),  # one's own sessions only
    "security:session_end": Covered("tests/security/test_sessions.py", "POST, own session ids only"),
    "security:sessions_end_others": Covered("tests/security/test_sessions.py", "POST, own sessions only"),
    # ---- company sign-in (django-allauth): public sign-in routes like the login page
    "openid_connect_login": Covered("tests/e2e/test_e2e_sso.py", "public start of SSO; provider ids are rows"),
    "openid_connect_callback": Covered("tests/e2e/test_e2e_sso.py", "public; needs the provider's signed state"),
    "socialaccount_login_cancelled": Public(),
    "socialaccount_login_error": Public(),
    "set_language": Public(),
    # ---- web pages
    "home": SignedIn(),
    "ticket_new": Staff(),
    "ticket_bulk": Write("change"),
    "ticket": TicketVisible(),
    "ticket_next": Covered("tests/web/test_agent_workspace.py", "next ticket of the agent's queue"),
    "ticket_update": Write("change"),
    "ticket_reply": Write("reply"),
    "ticket_note": Write("note"),
    "ticket_watchers": Write("change"),
    "ticket_link_add": Write("change"),
    "ticket_merge": Write("change"),
    "ticket_canned": Covered("tests/web/test_ticket_page.py", "canned reply ids, staff who handle the ticket"),
    "saved_view_create": Write("own"),
    "saved_view_delete": Write("own"),
    "search": Staff(),
    "people": Staff(),
    "reply_preview": Covered("tests/web/test_replies.py", "POST only: staff get the rendered Markdown, others 404"),
    "list_columns": Write("own"),
    "people_lookup": Staff(),
    "person": Covered("tests/web/test_directory.py", "user ids: staff see the directory, only-assigned agents less"),
    "organization": Covered("tests/web/test_directory.py", "organization ids: staff; only-assigned agents less"),
    "portal_home": SignedIn(),
    "portal_catalogue": SignedIn(),
    "portal_submit": Covered("tests/access/test_access_request_types.py", "request type codes"),
    "portal_created": TicketVisible(),
    "portal_reply": Write("reply"),
    "portal_close": Write("close"),
    "portal_reopen": Write("reopen"),
    "portal_rate": Write("rate"),
    "ticket_link": Covered("tests/web/test_portal.py", "signed links from notification emails"),
    "attachment": FileVisible(),
    "profile": SignedIn(),
    "set_language_web": Write("own"),
    "login": Public(),
    "logout": Write("own"),
    "health": Public(),
    # ---- tracker links (tests/trackers/test_tracker_access.py: every persona of world.py, every ticket)
    "api:ticket-external-links": Covered("tests/trackers/test_tracker_access.py", "linked issues: staff who handle"),
    "api:ticket-external-link": Covered("tests/trackers/test_tracker_access.py", "link ids: staff who handle"),
    "trackers:hook": Covered("tests/trackers/test_tracker_sync.py", "tracker webhooks: signature or secret"),
    "trackers:hook_token": Covered("tests/trackers/test_tracker_sync.py", "tracker webhooks: secret in the URL"),
    "trackers:link": Covered("tests/trackers/test_tracker_access.py", "writes: staff who handle the ticket"),
    "trackers:unlink": Covered("tests/trackers/test_tracker_access.py", "link ids: staff who handle the ticket"),
    "trackers:create_form": Covered("tests/trackers/test_tracker_access.py", "staff who handle the ticket"),
    "trackers:create": Covered("tests/trackers/test_tracker_access.py", "writes: staff who handle the ticket"),
    "trackers:retry": Covered("tests/trackers/test_tracker_access.py", "request ids: staff who handle"),
    "trackers:profile": Covered("tests/trackers/test_tracker_access.py", "staff who handle the ticket"),
    # ---- support chats (membership decides, not the ticket)
    "api:chats": Covered("tests/api/test_api_chats.py", "chats by membership, persona by persona"),
    "api:chat": Covered("tests/api/test_api_chats.py", "chat ids: members and the desk only"),
    "api:chat-messages": Covered("tests/api/test_api_chats.py", "texts each persona reads; no internal remarks"),
    "api:chat-message-ticket": Covered("tests/api/test_api_chats.py", "members of both the chat and the team"),
    "api:chat-dialogs": Covered("tests/api/test_api_chats.py", "the desk's staff only"),
    "api:report-first-line": Covered("tests/api/test_api_chats.py", "scoped to the chats a viewer serves"),
    "chat:attachment": Covered("tests/chat/test_chat_pages.py", "chat files: who may read their message"),
    "chat:console_index": Covered("tests/chat/test_chat_pages.py", "staff who serve a chat"),
    "chat:console": Covered("tests/chat/test_chat_pages.py", "chat ids: staff who serve it"),
    "chat:portal_chats": Covered("tests/chat/test_chat_pages.py", "the chats a person may ask in"),
    "chat:portal_chat": Covered("tests/chat/test_chat_pages.py", "chat ids: members only, own history only"),
    "chat:widget": Covered("tests/chat/test_chat_pages.py", "allowed origins; guests only where allowed"),
    "chat:widget_guest": Covered("tests/chat/test_chat_pages.py", "guests only where the chat allows them"),
    "chat:widget_script": Covered("tests/chat/test_chat_pages.py", "the embed script of a chat"),
    "chat:upload": Covered("tests/chat/test_chat_uploads.py", "members of the conversation, the desk; guests own"),
    "intranet_widget": Covered("tests/web/test_intranet_widget.py", "own open requests only; framing by origin"),
    "intranet_widget_script": Covered("tests/web/test_intranet_widget.py", "the embed script, no data"),
    # ---- Telegram
    "telegram:webhook": Covered("tests/telegram/test_telegram_access.py", "bot ids: the secret-token header"),
    "telegram:link": Covered("tests/telegram/test_telegram_access.py", "one's own deep link only"),
    # ---- reports (tests/access/test_access_reports.py: pages, API, exports and drill-down per persona)
    "api:report-overview": Covered("tests/access/test_access_reports.py", "scoped by the viewer's access"),
    "api:report-second-line": Covered("tests/access/test_access_reports.py", "scoped by the viewer's access"),
    "api:report-breakdown": Covered("tests/access/test_access_reports.py", "scoped by the viewer's access"),
    "api:report-load": Covered("tests/access/test_access_reports.py", "scoped by the viewer's access"),
    "api:report-sla": Covered("tests/access/test_access_reports.py", "scoped by the viewer's access"),
    "api:report-csat": Covered("tests/access/test_access_reports.py", "scoped by the viewer's access"),
    "api:report-specialists": Covered("tests/access/test_access_reports.py", "scoped by the viewer's access"),
    "api:report-forecast": Covered("tests/access/test_access_reports.py", "scoped by the viewer's access"),
    "reports:overview": Covered("tests/access/test_access_reports.py", "managers, admins, auditors; agents own"),
    "reports:breakdown": Covered("tests/access/test_access_reports.py", "managers, admins, auditors; agents own"),
    "reports:load": Covered("tests/access/test_access_reports.py", "managers, admins, auditors; agents own"),
    "reports:sla": Covered("tests/access/test_access_reports.py", "managers, admins, auditors; agents own"),
    "reports:specialists": Covered("tests/access/test_access_reports.py", "managers, admins, auditors"),
    "reports:csat": Covered("tests/access/test_access_reports.py", "managers, admins, auditors; agents own"),
    "reports:forecast": Covered("tests/access/test_access_reports.py", "managers, admins, auditors"),
    "reports:digest": Covered("tests/reports/test_digest.py", "managers subscribe themselves"),
    # ---- personal data
    "privacy:my_export": Covered("tests/privacy/test_export.py", "a person gets only their own data"),
    "privacy:user_export": Covered("tests/privacy/test_export.py", "user ids: administrators only"),
    "privacy:user_anonymise": Covered("tests/privacy/test_anonymise.py", "user ids: administrators, confirmed"),
    # ---- knowledge base (tests/access/test_access_knowledge.py: every persona, public/internal/draft)
    "knowledge:list": Covered("tests/access/test_access_knowledge.py", "published articles the viewer may read"),
    "knowledge:suggest": Covered("tests/access/test_access_knowledge.py", "never mentions unreadable articles"),
    "knowledge:draft_from_message": Covered("tests/access/test_access_knowledge.py", "staff who handle"),
    "knowledge:similar": Covered("tests/access/test_access_knowledge.py", "staff who handle the ticket"),
    "knowledge:article": Covered("tests/access/test_access_knowledge.py", "article slugs: readers only"),
    "knowledge:article_link": Covered("tests/access/test_access_knowledge.py", "article slugs: staff"),
    "knowledge:vote": Covered("tests/access/test_access_knowledge.py", "article slugs: readers only"),
    "knowledge:solved": Covered("tests/access/test_access_knowledge.py", "article slugs: readers only"),
    "knowledge:article_text": Covered("tests/access/test_access_knowledge.py", "article slugs: staff"),
    "knowledge:file": Covered("tests/access/test_access_knowledge.py", "the article's readers; drafts: editors"),
    "knowledge:files": Covered("tests/access/test_access_knowledge.py", "editors of articles only"),
    "knowledge:report": Covered("tests/access/test_access_knowledge.py", "managers, auditors, admins"),
    "api:report-knowledge": Covered("tests/access/test_access_knowledge.py", "managers, auditors, admins"),
    # ---- workspace and portal (issue 15)
    "ticket_fields": Covered("tests/web/test_ticket_page_actions.py", "field edits: staff writers who handle"),
    "mail_log": Covered("tests/web/test_errors_links_mail.py", "managers and admins; bodies admins only"),
    "canned_replies": Covered("tests/web/test_canned_replies.py", "agents: their own and their teams' replies"),
    "canned_reply_edit": Covered("tests/web/test_canned_replies.py", "reply ids: owner, team, admins"),
    "canned_reply_delete": Covered("tests/web/test_canned_replies.py", "reply ids: owner, team, admins"),
    "macros": Staff(),
    "macro_edit": Covered("tests/web/test_macros_tags.py", "macro ids: owner, team, admins"),
    "macro_delete": Covered("tests/web/test_macros_tags.py", "macro ids: owner, team, admins"),
    "ticket_macro_apply": Covered("tests/web/test_macros_tags.py", "macro ids offered to who handles the ticket"),
    "ticket_tags": Write("change"),
    # the ticket page's panels after it (tests/web/test_ticket_panels.py: contents, agent-as-requester)
    "ticket_panels": TicketHandled(),
    "ticket_panel_sla": TicketHandled(),
    "ticket_panel_macros": TicketHandled(),
    "ticket_panel_tags": TicketHandled(),
    "ticket_panel_trackers": TicketHandled(),
    "ticket_panel_reply_tools": TicketHandled(),
    "ticket_panel_requester": TicketHandled(),
    "ticket_timeline": TicketHandled(),
    "password_change": SignedIn(),
    "password_change_done": SignedIn(),
    "password_reset": Public(),
    "password_reset_done": Public(),
    "password_reset_confirm": Covered("tests/web/test_portal_first_day.py", "signed one-time links"),
    "password_reset_complete": Public(),
}
