"""Regenerate `cases-exotic-zones.json`: oracle cases in zones the public vectors lack.

The public vectors use nine zones. These add zones whose clocks change at UTC midnight
(Europe/Chisinau), at local midnight (America/Havana, Asia/Beirut), by 30 minutes or two
hours, or that changed their standard offset (Caracas, Pyongyang, Volgograd), so the
offset-change detection is tested beyond the usual 01:00Z / 02:00-local changes.

    python3 tests/worktime/generate_exotic_cases.py > tests/worktime/cases-exotic-zones.json

Needs `../shared/sla/oracle.py` (the answers are the oracle's own). Not a test module.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

ORACLE_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "sla" / "oracle.py"
SEED = 20261123
COUNT = 150
MAX_DUE_DAYS = 45
EXOTIC_ZONES = (
    "Europe/Chisinau",
    "America/Havana",
    "Asia/Beirut",
    "America/Santiago",
    "Africa/Casablanca",
    "Antarctica/Troll",
    "America/St_Johns",
    "Pacific/Chatham",
    "Asia/Tehran",
    "Europe/Dublin",
    "America/Asuncion",
    "Asia/Gaza",
    "Pacific/Norfolk",
    "America/Nuuk",
    "Australia/Adelaide",
    "Asia/Amman",
    "America/Caracas",
    "Asia/Pyongyang",
    "Europe/Volgograd",
    "Pacific/Kiritimati",
    "Africa/Cairo",
    "America/Mexico_City",
)


def load_oracle() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sla_oracle", ORACLE_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    oracle = load_oracle()
    vars(oracle)["ZONES"] = [(zone, 1) for zone in EXOTIC_ZONES]  # same as `oracle.ZONES = ...`, typed
    rng = random.Random(SEED)
    cases: list[dict[str, object]] = []
    index = 0
    while len(cases) < COUNT:
        case = oracle.random_case(rng, SEED, index)
        index += 1
        expected = oracle.run_case(case)
        due = expected.get("due")
        if due is not None and oracle.parse_instant(due) - oracle.parse_instant(case["start"]) > (MAX_DUE_DAYS * 86400):
            continue  # same cut as the oracle's own generator: keeps the walk short
        case["expected"] = expected
        cases.append(case)
    generator = {"seed": SEED, "count": COUNT, "zones": list(EXOTIC_ZONES), "script": Path(__file__).name}
    oracle.write_document(oracle.document(cases, generator), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
