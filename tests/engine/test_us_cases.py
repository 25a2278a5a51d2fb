"""Every real case of fixtures/us/cases/*.json through the engine, on the shipped data.

Each case is a question analysts asked with the answer worked out from the primary texts
(the executive orders, the proclamations, the HTS chapter 99 notes): the programs that
apply with the rate each adds, and the total over the MFN rate of the line. The engine must
give exactly that set: a program missing, an extra one (a duty that should have given way)
or a different rate fails the case.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from agreements.engine import effective_rate

pytestmark = [pytest.mark.django_db, pytest.mark.facts, pytest.mark.usefixtures("hts_lines")]

CASES_DIR = Path(settings.BASE_DIR) / "fixtures" / "us" / "cases"


def _cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.json")):
        for number, case in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            claims = "+".join(case["claims"]) or "none"
            ident = f"{path.stem}-{number}-{case['origin']}-{case['hs']}-{case['date']}-{claims}"
            params.append(pytest.param(case, id=ident))
    return params


CASES = _cases()
# The MFN base of the lines the cases ask about, from the HTS editions (tests/engine/conftest).
HTS_LINES = sorted({param.values[0]["hs"] for param in CASES})


def _applied(case: dict[str, Any]) -> tuple[dict[str, str], Decimal | None]:
    result = effective_rate(
        importer=case["importer"],
        origin=case["origin"],
        hs=case["hs"],
        on=dt.date.fromisoformat(case["date"]),
        claims=case["claims"],
    )
    programs = Counter(c.program for c in result.duty.components)
    assert max(programs.values()) == 1, f"one measure per program: {programs}"
    applied = {c.program: str(c.applied_rate) for c in result.duty.components}
    return applied, result.duty.total_rate


@pytest.mark.parametrize("case", CASES)
def test_real_case(case: dict[str, Any]) -> None:
    applied, total = _applied(case)
    expected = case["expected_programs"]
    assert applied == expected, case["why"]
    assert total == Decimal(case["expected_total"]), case["why"]


# The issue's own table: each must answer as stated (the cases files hold the details).
ISSUE_TABLE = [
    # (origin, hs, date, claims, total)
    ("CN", "8517130000", "2025-05-01", [], "20.00"),  # smartphones
    ("CN", "8542310045", "2025-05-01", [], "70.00"),  # processors
    ("JP", "8471300100", "2025-09-15", [], "0.00"),  # laptops
    ("MX", "9503000073", "2025-06-01", [], "25.00"),  # toys
    ("MX", "9503000073", "2025-06-01", ["S"], "0.00"),  # toys, USMCA claimed
    ("HK", "9503000073", "2025-05-01", [], "145.00"),  # any good from Hong Kong: China's
    ("IN", "6109100012", "2025-09-01", [], "66.50"),  # 50% + MFN 16.5%
    ("BR", "6109100012", "2025-09-01", [], "66.50"),  # T-shirts from Brazil
    ("CH", "6403999065", "2025-12-01", [], "15.00"),  # 15% all-in
    ("CN", "6109100012", "2025-06-01", [], "54.00"),  # +7.5% List 4A among the rest
    ("JP", "8703230130", "2026-03-02", [], "15.00"),  # a Japanese car, March 2026
]


def test_the_issue_table_is_among_the_cases() -> None:
    keys = {
        (c["origin"], c["hs"], c["date"], tuple(c["claims"]))
        for c in json.loads((CASES_DIR / "ieepa.json").read_text(encoding="utf-8"))
        + json.loads((CASES_DIR / "s232_s301.json").read_text(encoding="utf-8"))
    }
    for origin, hs, date, claims, _total in ISSUE_TABLE:
        assert (origin, hs, date, tuple(claims)) in keys


@pytest.mark.parametrize(("origin", "hs", "date", "claims", "total"), ISSUE_TABLE)
def test_the_issue_table(origin: str, hs: str, date: str, claims: list[str], total: str) -> None:
    case = {"importer": "US", "origin": origin, "hs": hs, "date": date, "claims": claims}
    _applied_programs, answer = _applied(case)
    assert answer == Decimal(total)


def test_the_cases_cover_every_program_of_the_files() -> None:
    programs: set[str] = set()
    for path in sorted((CASES_DIR.parent / "measures").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        programs |= {m["program"] for m in data["measures"]}
    covered = {p for param in CASES for p in param.values[0]["expected_programs"]}
    assert programs <= covered, sorted(programs - covered)
    assert len(CASES) >= 60
