"""The clock oracle's public cases (`../shared/sla/clock-cases-public.json`) run through the real
clock fold via `otklik.sla.conformance.evaluate_clock`, one test per case named after it.

Skips with a clear message when the shared folder is absent (a checkout without it)."""

import json
from pathlib import Path
from typing import Any

import pytest

from otklik.sla.conformance import clock_event, evaluate_clock

SHARED_SLA = Path(__file__).resolve().parents[2].parent / "shared" / "sla"
PUBLIC = SHARED_SLA / "clock-cases-public.json"
EXPECTED_KEYS = {"state", "due_at", "warn_at", "breached_at", "consumed_seconds", "met"}


def public_cases() -> list[dict[str, Any]]:
    if not PUBLIC.is_file():
        return []
    cases: list[dict[str, Any]] = json.loads(PUBLIC.read_text(encoding="utf-8"))["cases"]
    return cases


def require_shared() -> None:
    if not SHARED_SLA.is_dir():
        pytest.skip(f"../shared/sla not present (looked in {SHARED_SLA}); public SLA clock cases not checked")


@pytest.mark.parametrize("case", [*public_cases()] or [None], ids=lambda case: case["name"] if case else "absent")
def test_public_clock_case(case):
    require_shared()
    if case is None:
        pytest.fail("../shared/sla exists but clock-cases-public.json is missing")
    given = {key: value for key, value in case.items() if key not in ("expected", "note", "expected_local")}
    got = evaluate_clock(given)
    wrong = {key: got.get(key) for key, want in case["expected"].items() if got.get(key) != want}
    assert not wrong, f"{case['name']}: expected {case['expected']}, got {wrong} ({case.get('note', '')})"


def test_public_clock_cases_file_is_complete():
    require_shared()
    cases = public_cases()
    assert len(cases) >= 242
    assert all(set(case["expected"]) == EXPECTED_KEYS for case in cases)


def test_reopen_of_a_reaction_clock_is_ignored():
    event = {"kind": "reopen", "at": "2024-03-11T07:00:00Z"}
    assert clock_event(event, "reaction") is None
    reopen = clock_event(event, "resolution")
    assert reopen is not None and reopen.kind == "reopen"


def test_level_change_without_target_cancels():
    event = clock_event({"kind": "level_change", "at": "2024-03-11T07:00:00Z", "calendar": "a",
                         "target_minutes": None, "warn_before_minutes": 0}, "resolution")
    assert event is not None and event.kind == "cancel"
