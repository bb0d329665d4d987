"""One "staff only" gate for server-rendered pages (issue 11): otklik.accounts.decorators.staff_required.
No module writes its own role-checking decorator, and the SLA pages, the workspace and reports let in the
same people: support staff, the read-only auditor included (they only read there)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.test import Client

from otklik.testing.personas import Personas

ROOT = Path(__file__).resolve().parents[2] / "otklik"
THE_GATE = ROOT / "accounts" / "decorators.py"


def test_no_second_staff_decorator() -> None:
    others = []
    for path in ROOT.rglob("*.py"):
        if path == THE_GATE or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.endswith("_required"):
                others.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert not others, f"use otklik.accounts.decorators.staff_required instead of: {others}"


@pytest.mark.parametrize("url", ["/sla/overdue/", "/tickets/new/", "/reports/"])
def test_staff_pages_let_in_the_same_people(people: Personas, url: str) -> None:
    answers = {}
    for name, user in people.all_users().items():
        client = Client()
        client.force_login(user)
        answers[name] = client.get(url).status_code
    assert {name for name, code in answers.items() if code == 200} == {"fiona", "sam", "mia", "rita", "adam"}
    assert {answers[name] for name in ("alice", "bob", "carol")} == {404}
