"""The SLA test vectors and the brute-force oracle, run through `conformance.evaluate`.

The vectors live in the shared folder next to the repository (`../shared/sla/`); those
tests skip when it is absent. `cases-exotic-zones.json` beside this file is pinned here
(see `generate_exotic_cases.py`), so it always runs.
"""

import importlib.util
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otklik.worktime.conformance import evaluate, format_instant

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_SLA = REPO_ROOT.parent / "shared" / "sla"
PINNED_CASES = Path(__file__).with_name("cases-exotic-zones.json")


def load_cases(path: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return cases


def require_shared() -> Path:
    if not SHARED_SLA.is_dir():
        pytest.skip(f"../shared/sla not present (looked in {SHARED_SLA}); public SLA vectors not checked")
    return SHARED_SLA


def check(case: dict[str, Any]) -> None:
    got = evaluate(case)
    wrong = {key: got.get(key) for key, want in case["expected"].items() if got.get(key) != want}
    assert not wrong, f"{case['name']}: expected {case['expected']}, got {wrong} ({case.get('note', '')})"


def public_cases() -> list[dict[str, Any]]:
    path = SHARED_SLA / "cases-public.json"
    return load_cases(path) if path.is_file() else []


@pytest.mark.parametrize("case", [*public_cases()] or [None], ids=lambda case: case["name"] if case else "absent")
def test_public_case(case):
    require_shared()
    if case is None:
        pytest.fail("../shared/sla exists but cases-public.json is missing")
    check(case)


@pytest.mark.parametrize("case", load_cases(PINNED_CASES), ids=lambda case: case["name"])
def test_pinned_exotic_zone_case(case):
    check(case)


def test_public_cases_file_is_complete():
    cases = load_cases(require_shared() / "cases-public.json")
    ops = [case["op"] for case in cases]
    assert len(cases) >= 270 and {"due", "elapsed", "validate"} <= set(ops)


# ---------------------------------------------------------------- live oracle, random cases


def load_oracle() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sla_oracle", require_shared() / "oracle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def oracle() -> ModuleType:
    return load_oracle()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_agrees_with_oracle_on_its_random_cases(oracle, seed):
    """The oracle's own random case generator, kept short so its minute walk stays fast."""
    rng = random.Random(seed)
    case = oracle.random_case(rng, seed, 0)
    if case["op"] == "due":
        case["target_minutes"] = min(case["target_minutes"], 600)
    else:
        end = oracle.parse_instant(case["start"]) + rng.randint(0, 3 * 86400)
        case["end"] = oracle.format_instant(end)
    case["expected"] = oracle.run_case(case)
    check(case)


def test_format_instant_is_the_oracle_spelling(oracle):
    moment = datetime(2024, 3, 4, 6, 0, 1, tzinfo=UTC)
    assert format_instant(moment) == "2024-03-04T06:00:01Z" == oracle.format_instant(int(moment.timestamp()))
