"""One way to change a ticket (issue 11): views, API views and the admin never write ticket, message, event
or user rows themselves; they call the services. A static check over the interface modules, plus the admin's
own permissions for the conversation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import RequestFactory

from otklik.tickets.models import Message, Ticket, TicketEvent

ROOT = Path(__file__).resolve().parents[2] / "otklik"
GUARDED_MODELS = {"Ticket", "Message", "TicketEvent", "Attachment", "User"}
WRITES = {"create", "update", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create",
          "create_user", "create_superuser"}
# Interface modules: the web app, the API, and every app's views and admin.
INTERFACE = sorted({*ROOT.glob("web/**/*.py"), *ROOT.glob("api/**/*.py"), *ROOT.glob("*/views.py"),
                    *ROOT.glob("*/views/*.py"), *ROOT.glob("*/admin.py")})
# Known direct writes, each to move into a service (issue 11 drifts); the list may only shrink.
KNOWN = {
    ("web/management/commands/createadmin.py", "User"),  # console bootstrap of the first admin
}


def _receiver_names(node: ast.AST) -> set[str]:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def _direct_writes(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
            receiver = node.func.value
            names = _receiver_names(receiver)
            through_manager = any(isinstance(part, ast.Attribute) and part.attr == "objects"
                                  for part in ast.walk(receiver))
            if through_manager:
                found |= names & GUARDED_MODELS
    return found


def test_interface_modules_do_not_write_ticket_message_or_user_rows() -> None:
    offenders = sorted(
        (str(path.relative_to(ROOT)), model)
        for path in INTERFACE if "migrations" not in path.parts
        for model in _direct_writes(path)
    )
    new = [entry for entry in offenders if entry not in KNOWN]
    assert not new, (
        "Views and the admin change tickets, messages and people only through services "
        f"(otklik/tickets/services.py, ...): {new}"
    )
    gone = KNOWN - set(offenders)
    assert not gone, f"fixed, remove from KNOWN in {__file__}: {sorted(gone)}"


# Names under which views and admins hold ticket, message and person rows (and the model forms that
# write them): `.save()`, `.delete()` or `.update()` on one of these is a write around the services.
ROW_NAMES = re.compile(r"^(user|viewer|requester|person|actor|author|agent|ticket|message|note|reply|form)s?$")
WRITE_METHODS = {"save", "delete", "update"}
# Interface modules that may call these on such names, with the reason (the list may only shrink).
ROW_WRITES_ALLOWED: dict[tuple[str, str], str] = {
    ("web/management/commands/createadmin.py", "user.save"): "console bootstrap of the first admin",
}


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):  # current_user(request).save()
        return _receiver(node.func)
    return ""


def _row_writes(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITE_METHODS:
            name = _receiver(node.func.value)
            if ROW_NAMES.match(name):
                found.add(f"{name}.{node.func.attr}")
    return found


def test_interface_modules_do_not_save_ticket_message_or_user_instances() -> None:
    """The views, the API views and the admins hand rows to services; a `ticket.save()`, `user.save()` or
    `form.save()` of a model form there is a write that skips the service's checks and history."""
    offenders = {
        (str(path.relative_to(ROOT)), call)
        for path in INTERFACE if "migrations" not in path.parts
        for call in _row_writes(path)
    }
    new = sorted(offenders - set(ROW_WRITES_ALLOWED))
    assert not new, f"write through a service instead: {new}"
    gone = sorted(set(ROW_WRITES_ALLOWED) - offenders)
    assert not gone, f"fixed, remove from ROW_WRITES_ALLOWED in {__file__}: {gone}"


def test_only_the_sla_services_write_the_next_due_column() -> None:
    """`Ticket.sla_next_due_at` is the SLA clocks' cached earliest due time: sla.services.refresh_next_due
    (and its bulk twin) is its one writer; the demo's bulk loader writes the same values in bulk."""
    def writes(text: str) -> bool:
        return "sla_next_due_at=" in text or '["sla_next_due_at"]' in text

    writers = sorted(str(path.relative_to(ROOT)) for path in ROOT.rglob("*.py")
                     if "migrations" not in path.parts and writes(path.read_text(encoding="utf-8")))
    assert writers == ["sla/demo.py", "sla/services.py"]


@pytest.mark.parametrize("model", [Message, TicketEvent, Ticket])
def test_the_admin_cannot_delete_the_conversation_or_the_history(model: type) -> None:
    request = RequestFactory().get("/admin/")
    model_admin = admin.site._registry[model]
    assert model_admin.has_delete_permission(request) is False
