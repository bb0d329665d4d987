"""The admin's index grouped by area (tickets, SLA, channels, automation, people, integrations, system)
instead of by Python app, branded, with internal tables (outbox cursors, periodic runs, one-time
passwords, lockout records, ...) under "System"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

# (area label, app_label.model_name of each model, in order); a model not named goes to "System".
AREAS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (_("Tickets"), ("tickets.ticket", "tickets.message", "tickets.requesttype", "tickets.category",
                    "tickets.status", "tickets.priority", "tickets.tag", "tickets.ticketevent")),
    (_("SLA"), ("sla.slapolicy", "sla.schedule", "sla.holidaycalendar", "sla.slaclock")),
    (_("Channels"), ("mail.mailbox", "mail.mailsettings",
                     "mail.inboundmail", "mail.outboundmail", "mail.undeliverableaddress",
                     "notifications.notificationtemplate", "notifications.notification",
                     "notifications.notificationpreference")),
    (_("Automation"), ("automation.trigger", "automation.assignmentrule", "automation.timerule",
                       "automation.cannedreply", "automation.macro", "automation.forbiddenword",
                       "automation.teamrouting",
                       "automation.agentavailability", "automation.automationsettings")),
    (_("People"), ("accounts.user", "accounts.team", "accounts.organization", "auth.group",
                   "security.securitypolicy", "security.usersecurity")),
    (_("Integrations"), ("integrations.webhooksubscription", "integrations.webhookdelivery")),
    (_("Imports"), ("imports.importrun", "imports.statusmapping", "imports.importprofile", "imports.externalref")),
)
SYSTEM = _("System")


def grouped_app_list(original: Callable[..., list[dict[str, Any]]]) -> Callable[..., list[dict[str, Any]]]:
    def get_app_list(request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        apps = original(request, app_label)
        if app_label is not None:  # one app's own page keeps Django's layout
            return apps
        models = {f"{app['app_label']}.{model['object_name'].lower()}": (app, model)
                  for app in apps for model in app["models"]}
        grouped: list[dict[str, Any]] = []
        placed: set[str] = set()
        for label, keys in (*AREAS, (SYSTEM, tuple(key for key in models if not any(
                key in area_keys for _label, area_keys in AREAS)))):
            rows = [models[key][1] for key in keys if key in models and key not in placed]
            placed.update(key for key in keys if key in models)
            if rows:
                first_app = models[next(key for key in keys if key in models)][0]
                grouped.append({**first_app, "name": label, "models": rows,
                                "app_label": f"area-{len(grouped)}", "app_url": first_app["app_url"]})
        return grouped

    return get_app_list


def brand_admin() -> None:
    admin.site.site_header = _("Otklik administration")
    admin.site.site_title = _("Otklik administration")
    admin.site.index_title = _("Service desk settings")
    admin.site.get_app_list = grouped_app_list(admin.site.get_app_list)  # type: ignore[method-assign]
